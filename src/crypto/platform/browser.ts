import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { nobleEquation, nobleSign } from '../ed25519-noble.js';
import type { ScryptParams, X25519Secret } from './types.js';

/**
 * The platform primitives in pure JS (noble), for browsers: the same bytes as node.ts, which
 * package.json's "imports" map picks in Node. Nothing here may reach a Node built-in or global
 * (the browser-bundle test checks).
 */
export const PLATFORM = 'browser';

export const sha256 = (data: Uint8Array): Uint8Array => nobleSha256(data);

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = hmac.create(nobleSha256, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export const ed25519Sign = nobleSign;
export const ed25519Equation = nobleEquation;

export const xchachaSeal = (key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array =>
  xchacha20poly1305(key, nonce, ad).encrypt(plaintext);

export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  try {
    return xchacha20poly1305(key, nonce, ad).decrypt(sealed);
  } catch {
    return undefined;
  }
}

export const x25519Secret = (scalar: Uint8Array): X25519Secret => ({
  handle: scalar.slice(),
  u: x25519.getPublicKey(scalar),
});

export function x25519Ephemeral(): X25519Secret {
  const s = x25519.utils.randomSecretKey();
  return { handle: s, u: x25519.getPublicKey(s) };
}

/** Throws on a malformed u, as node.ts does; all-zero output is the caller's check. */
export const x25519Agree = (secret: X25519Secret, u: Uint8Array, _known = false): Uint8Array =>
  x25519.getSharedSecret(secret.handle as Uint8Array, u);

export const scrypt = (password: Uint8Array, salt: Uint8Array, p: ScryptParams): Promise<Uint8Array> =>
  scryptAsync(password, salt, { N: p.N, r: p.r, p: p.p, dkLen: p.dkLen, maxmem: 2 ** 31 });
