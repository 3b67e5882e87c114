import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * node:crypto KeyObjects for raw Ed25519 keys. Importing a key costs more
 * than it should on every verify (JWK ~170k/s, SPKI DER ~13k/s on the project
 * machine), so public keys are imported from JWK and cached.
 */

/** Bounded so a flood of distinct senders cannot grow memory; validators stay hot by LRU. */
export const PUBLIC_KEY_CACHE_MAX = 8192;

const publicKeys = new Map<string, KeyObject>();

/** KeyObject for a 32-byte public key, or undefined if OpenSSL refuses it. No curve checks here. */
export function nodePublicKey(pk: Uint8Array): KeyObject | undefined {
  // base64url is both a cheap map key and the JWK `x` field.
  const x = Buffer.from(pk.buffer, pk.byteOffset, pk.byteLength).toString('base64url');
  const hit = publicKeys.get(x);
  if (hit !== undefined) {
    publicKeys.delete(x); // re-insert: Map order is the LRU order
    publicKeys.set(x, hit);
    return hit;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (publicKeys.size >= PUBLIC_KEY_CACHE_MAX) {
    const oldest = publicKeys.keys().next().value;
    if (oldest !== undefined) publicKeys.delete(oldest);
  }
  publicKeys.set(x, key);
  return key;
}

export const publicKeyCacheSize = (): number => publicKeys.size;

// RFC 8410 PKCS#8 wrapping of a 32-byte Ed25519 seed.
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

// Keyed by array identity, never by secret bytes, so no secret ends up in a map key string.
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

/** KeyObject for a 32-byte secret seed; cached while the caller keeps the same array. */
export function nodePrivateKey(sk: Uint8Array): KeyObject {
  let key = privateKeys.get(sk);
  if (key === undefined) {
    const der = new Uint8Array(PKCS8_PREFIX.length + 32);
    der.set(PKCS8_PREFIX);
    der.set(sk, PKCS8_PREFIX.length);
    key = createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
    der.fill(0);
    privateKeys.set(sk, key);
  }
  return key;
}
