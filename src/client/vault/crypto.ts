/**
 * Record encryption and key wrapping, on the client.
 *
 * A record is sealed with a fresh 32-byte data key under XChaCha20-Poly1305 (random 24-byte
 * nonce, the record id as associated data): blob = nonce || ciphertext+tag. The pointer on chain
 * carries `locator = sha256(blob)`, the vault's content address, and
 * `commitment = sha256(salt || locator)` (salt: 32 random bytes, kept off chain with the key).
 *
 * The data key and salt are wrapped per grantee, sealed-box style: an ephemeral X25519 key agrees
 * with the grantee's X25519 key (birationally derived from their Ed25519 identity key), HKDF-SHA256
 * derives a key-encryption key, and XChaCha20-Poly1305 seals `key || salt` with the record id and
 * grant id (the consent id; zero for the owner and custodian copies) bound as associated data:
 *   wrapped = ephemeralPub(32) || nonce(24) || sealed(64 + 16)
 * X25519, HKDF, SHA-256 and the AEAD run through the platform (OpenSSL in Node, noble in
 * browsers: src/crypto/platform); the key conversions are the RFC 7748 / libsodium maps.
 */

import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { hmacSha256, x25519Agree, x25519Ephemeral, x25519Secret } from '#crypto-platform';
import { concat } from '../../codec/bytes.js';
import { xchachaOpen, xchachaSeal } from '../../crypto/aead.js';
import { sha256, sha256Parts } from '../../crypto/hash.js';
import type { X25519Secret } from '../../crypto/platform/types.js';
import { MedchainError } from '../../errors.js';

export const SealErrorCode = {
  /** The ciphertext does not match the on-chain commitment (or fails its tag): altered in storage or transit. */
  TAMPERED: 'VAULT_TAMPERED',
  /** The wrapped key does not open with this identity key, record and grant. */
  WRONG_KEY: 'VAULT_WRONG_KEY',
  /** A malformed blob, wrapped key or public key. */
  MALFORMED: 'VAULT_MALFORMED',
} as const;
export type SealErrorCode = (typeof SealErrorCode)[keyof typeof SealErrorCode];
export class SealError extends MedchainError<SealErrorCode> {}

export const DATA_KEY_BYTES = 32;
export const SALT_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const WRAPPED_BYTES = 32 + NONCE_BYTES + DATA_KEY_BYTES + SALT_BYTES + TAG_BYTES;
/** Grant id of the owner's and the custodian's own copies of a data key. */
export const NO_GRANT = new Uint8Array(32);

const enc = new TextEncoder();
const RECORD_AD = enc.encode('medchain/v1/record');
const WRAP_AD = enc.encode('medchain/v1/wrap');
const WRAP_INFO = enc.encode('medchain/v1/wrap-kek');

export interface SealedRecord {
  /** nonce || ciphertext || tag: what the vault stores. */
  blob: Uint8Array;
  /** The per-record data key (never leaves the client except wrapped). */
  key: Uint8Array;
  salt: Uint8Array;
  /** sha256(salt || locator): the pointer's commitment. */
  commitment: Uint8Array;
  /** sha256(blob): the vault's content address, the pointer's locator. */
  locator: Uint8Array;
}

export const locatorOf = (blob: Uint8Array): Uint8Array => sha256(blob);
/**
 * sha256(salt || locator), locator = sha256(blob): one pass over the blob serves both the vault's
 * content address and the commitment (binding by collision resistance, like sha256(salt || blob)).
 */
export const commitmentOf = (locator: Uint8Array, salt: Uint8Array): Uint8Array => sha256Parts([salt, locator]);

/** Encrypts a record under a fresh data key, bound to its record id. */
export function sealRecord(record: Uint8Array, plaintext: Uint8Array): SealedRecord {
  const key = randomBytes(DATA_KEY_BYTES);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const ct = xchachaSeal(key, nonce, concat(RECORD_AD, record), plaintext);
  const blob = concat(nonce, ct);
  const locator = locatorOf(blob);
  return { blob, key, salt, commitment: commitmentOf(locator, salt), locator };
}

/**
 * Opens a sealed record: checks the commitment first (an altered blob is TAMPERED before the tag
 * is tried), then decrypts. The hash stays on this thread: hashing on a worker or through
 * webcrypto (which copies the input on this thread first) measured slower on 2 cores.
 */
export function openRecord(
  record: Uint8Array,
  blob: Uint8Array,
  key: Uint8Array,
  salt: Uint8Array,
  commitment: Uint8Array,
): Uint8Array {
  if (blob.length < NONCE_BYTES + TAG_BYTES) throw new SealError(SealErrorCode.MALFORMED, { what: 'blob' });
  if (!bytesEqual(commitmentOf(locatorOf(blob), salt), commitment)) throw new SealError(SealErrorCode.TAMPERED);
  try {
    return xchachaOpen(key, blob.subarray(0, NONCE_BYTES), concat(RECORD_AD, record), blob.subarray(NONCE_BYTES));
  } catch {
    throw new SealError(SealErrorCode.TAMPERED);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

// ---- X25519 from Ed25519 identity keys ----

const P = 2n ** 255n - 19n;
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = b % P;
  while (e > 0n) {
    if (e & 1n) r = (r * x) % P;
    x = (x * x) % P;
    e >>= 1n;
  }
  return r;
}

/** The X25519 public key of an Ed25519 public key: u = (1 + y) / (1 - y) mod p. */
export function x25519PublicOf(edPublicKey: Uint8Array): Uint8Array {
  let y: bigint;
  try {
    y = ed.Point.fromBytes(edPublicKey).toAffine().y;
  } catch {
    throw new SealError(SealErrorCode.MALFORMED, { what: 'public key' });
  }
  const den = (1n - y + P) % P;
  if (den === 0n) throw new SealError(SealErrorCode.MALFORMED, { what: 'public key' });
  let u = ((1n + y) * modPow(den, P - 2n)) % P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

/** The X25519 secret scalar of an Ed25519 secret key (the first half of SHA-512(seed); X25519 clamps). */
export const x25519SecretOf = (edSecretKey: Uint8Array): Uint8Array => sha512(edSecretKey).slice(0, 32);

/** Recipients' u-coordinates by their Ed25519 key (bounded): the inversion costs ~a modexp. */
const recipientCache = new Map<string, Uint8Array>();
function recipientU(edPublicKey: Uint8Array): Uint8Array {
  let id = '';
  for (const b of edPublicKey) id += b.toString(16).padStart(2, '0');
  let u = recipientCache.get(id);
  if (u === undefined) {
    u = x25519PublicOf(edPublicKey);
    if (recipientCache.size >= 1024) recipientCache.clear();
    recipientCache.set(id, u);
  }
  return u;
}

function kek(shared: Uint8Array, ephemeral: Uint8Array, recipientU: Uint8Array): Uint8Array {
  let zero = 0;
  for (const b of shared) zero |= b;
  if (zero === 0) throw new SealError(SealErrorCode.MALFORMED, { what: 'public key' });
  return hkdf32(shared, concat(ephemeral, recipientU), WRAP_INFO);
}

/** RFC 5869 HKDF-SHA256 with L = 32: one extract, one expand block. */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array {
  const prk = hmacSha256(salt, ikm);
  const okm = hmacSha256(prk, info, ONE);
  prk.fill(0);
  return okm;
}
const ONE = Uint8Array.of(1);

/** Wraps `key || salt` for the holder of `edPublicKey`, bound to record and grant. */
export function wrapKey(
  edPublicKey: Uint8Array,
  record: Uint8Array,
  grant: Uint8Array,
  key: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  const u = recipientU(edPublicKey);
  const e = x25519Ephemeral();
  let shared: Uint8Array;
  try {
    shared = x25519Agree(e, u, true);
  } catch {
    throw new SealError(SealErrorCode.MALFORMED, { what: 'public key' });
  }
  const nonce = randomBytes(NONCE_BYTES);
  const k = kek(shared, e.u, u);
  shared.fill(0);
  const plain = concat(key, salt);
  const sealed = xchachaSeal(k, nonce, concat(WRAP_AD, record, grant), plain);
  k.fill(0);
  plain.fill(0);
  return concat(e.u, nonce, sealed);
}

/** An identity's X25519 unwrapping key (derive once, reuse). */
export type UnwrapKey = X25519Secret;
export const unwrapKeyOf = (edSecretKey: Uint8Array): UnwrapKey => x25519Secret(x25519SecretOf(edSecretKey));

/** Opens a wrapped key; WRONG_KEY unless it was wrapped for this identity, record and grant. */
export function unwrapKey(
  me: UnwrapKey | Uint8Array,
  record: Uint8Array,
  grant: Uint8Array,
  wrapped: Uint8Array,
): { key: Uint8Array; salt: Uint8Array } {
  if (wrapped.length !== WRAPPED_BYTES) throw new SealError(SealErrorCode.MALFORMED, { what: 'wrapped key' });
  const k = me instanceof Uint8Array ? unwrapKeyOf(me) : me;
  const ePub = wrapped.subarray(0, 32);
  let shared: Uint8Array;
  try {
    shared = x25519Agree(k, ePub);
  } catch {
    throw new SealError(SealErrorCode.MALFORMED, { what: 'wrapped key' });
  }
  let kk: Uint8Array;
  try {
    kk = kek(shared, ePub, k.u);
  } finally {
    shared.fill(0);
  }
  let plain: Uint8Array;
  try {
    plain = xchachaOpen(kk, wrapped.subarray(32, 56), concat(WRAP_AD, record, grant), wrapped.subarray(56));
  } catch {
    throw new SealError(SealErrorCode.WRONG_KEY);
  } finally {
    kk.fill(0);
  }
  const out = { key: plain.slice(0, DATA_KEY_BYTES), salt: plain.slice(DATA_KEY_BYTES) };
  plain.fill(0);
  return out;
}
