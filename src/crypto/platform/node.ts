import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hash,
  type KeyObject,
  scrypt as nodeScrypt,
  sign,
  verify,
} from 'node:crypto';
import { hchacha20, xchachaIetfNonce } from '../hchacha.js';
import { nodePrivateKey, nodePublicKey } from './node-keys.js';
import type { ScryptParams, X25519Secret } from './types.js';

/**
 * The platform primitives on OpenSSL (node:crypto): the node's hot paths. `browser.ts` computes
 * the same bytes with noble (test/src/crypto/platform.test.ts holds them equal); package.json's
 * "imports" map picks this file in Node and that one under the "browser" condition.
 */
export const PLATFORM = 'node';

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** OpenSSL's one-shot hash: ~2x @noble/hashes on 64-byte inputs. */
export const sha256 = (data: Uint8Array): Uint8Array => view(hash('sha256', data, 'buffer'));

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return view(h.digest());
}

/** RFC 8032 signature; deterministic, so the bytes equal noble's. The key object is cached by array identity. */
export const ed25519Sign = (msg: Uint8Array, sk: Uint8Array): Uint8Array => view(sign(null, msg, nodePrivateKey(sk)));

/** The cofactorless equation only; the caller has run the byte checks (ed25519.ts). */
export function ed25519Equation(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  const key = nodePublicKey(pk);
  if (key === undefined) return false;
  try {
    return verify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/**
 * XChaCha20-Poly1305: HChaCha20 (one block, in JS) derives the subkey, then OpenSSL's IETF
 * ChaCha20-Poly1305 runs: ~9x noble's on 1 MiB, ~6x on 4 KiB on the project machine.
 * Returns ciphertext || tag. Lengths are checked by the caller (aead.ts).
 */
export function xchachaSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const subkey = hchacha20(key, nonce.subarray(0, 16));
  const c = createCipheriv('chacha20-poly1305', subkey, xchachaIetfNonce(nonce), { authTagLength: 16 });
  subkey.fill(0);
  c.setAAD(ad, { plaintextLength: plaintext.length });
  const out = new Uint8Array(plaintext.length + 16);
  out.set(c.update(plaintext), 0);
  c.final();
  out.set(c.getAuthTag(), plaintext.length);
  return out;
}

/** The plaintext, or undefined when the tag does not verify. */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  const n = sealed.length - 16;
  const subkey = hchacha20(key, nonce.subarray(0, 16));
  const d = createDecipheriv('chacha20-poly1305', subkey, xchachaIetfNonce(nonce), { authTagLength: 16 });
  subkey.fill(0);
  d.setAAD(ad, { plaintextLength: n });
  d.setAuthTag(sealed.subarray(n));
  const plain = d.update(sealed.subarray(0, n));
  try {
    d.final();
  } catch {
    plain.fill(0);
    return undefined;
  }
  return view(plain);
}

// ---- X25519 ----

const PKCS8_X25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

// JWK import is ~10x cheaper than DER (OpenSSL's decoder framework); the u-coordinate is raw either way.
function publicKeyObject(u: Uint8Array): KeyObject {
  const x = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
}
const rawPublic = (k: KeyObject): Uint8Array =>
  new Uint8Array(Buffer.from((k.export({ format: 'jwk' }) as { x?: string }).x ?? '', 'base64url'));

/** Recipients' key objects by u-coordinate (bounded): a custodian wraps for the same few keys often. */
const recipients = new Map<string, KeyObject>();
function recipientKey(u: Uint8Array): KeyObject {
  const id = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
  let k = recipients.get(id);
  if (k === undefined) {
    k = publicKeyObject(u);
    if (recipients.size >= 1024) recipients.clear();
    recipients.set(id, k);
  }
  return k;
}

export function x25519Secret(scalar: Uint8Array): X25519Secret {
  const der = new Uint8Array(PKCS8_X25519.length + 32);
  der.set(PKCS8_X25519);
  der.set(scalar, PKCS8_X25519.length);
  const key = createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
  der.fill(0);
  return { handle: key, u: rawPublic(createPublicKey(key)) };
}

export function x25519Ephemeral(): X25519Secret {
  const e = generateKeyPairSync('x25519');
  return { handle: e.privateKey, u: rawPublic(e.publicKey) };
}

/**
 * The shared secret; throws on a u-coordinate OpenSSL refuses. All-zero output is the caller's
 * check. `known`: u is a recipient's long-term key, worth caching (never an ephemeral one).
 */
export function x25519Agree(secret: X25519Secret, u: Uint8Array, known = false): Uint8Array {
  const publicKey = known ? recipientKey(u) : publicKeyObject(u);
  return new Uint8Array(diffieHellman({ privateKey: secret.handle as KeyObject, publicKey }));
}

// ---- scrypt ----

/** OpenSSL's scrypt, off the main thread (libuv pool). */
export function scrypt(password: Uint8Array, salt: Uint8Array, p: ScryptParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    nodeScrypt(password, salt, p.dkLen, { N: p.N, r: p.r, p: p.p, maxmem: 2 ** 31 }, (err, key) =>
      err ? reject(err) : resolve(view(key)),
    ),
  );
}
