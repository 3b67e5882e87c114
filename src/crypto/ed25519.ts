import * as ed from '@noble/ed25519';
import { ed25519Equation, ed25519Sign } from '#crypto-platform';
import { MedchainError } from '../errors.js';
import { nobleEquation } from './ed25519-noble.js';

/**
 * Ed25519 with one consensus rule on every path: RFC 8032 §5.1.7 strict and
 * cofactorless. A signature is valid iff
 *   - sig is 64 bytes, pk is 32 bytes;
 *   - S < L;
 *   - R and A are canonical encodings (y < p, no x=0 with the sign bit set);
 *   - A is not one of the 8 small-order points;
 *   - [S]B == R + [k]A, compared as encodings, k = SHA-512(R || A || M) mod L.
 * Implementations differ exactly on these edges (OpenSSL 3.0 vs 3.5, noble), so the byte
 * checks run first and the equation runs only on inputs where OpenSSL and the
 * noble path (ed25519-noble.ts) provably compute the same thing.
 *
 * Mixed-order keys (prime-order point + torsion) pass these checks; a
 * signature under one verifies on both paths alike when 8 | k. Keys are
 * therefore gated by `isValidPublicKey` when they enter state.
 */

export const CryptoErrorCode = {
  SECRET_KEY_LENGTH: 'CRYPTO_SECRET_KEY_LENGTH',
  UNKNOWN_PURPOSE: 'CRYPTO_UNKNOWN_PURPOSE',
  CHAIN_ID_LENGTH: 'CRYPTO_CHAIN_ID_LENGTH',
  POOL_CLOSED: 'CRYPTO_POOL_CLOSED',
  WORKER_FAILED: 'CRYPTO_WORKER_FAILED',
} as const;
export type CryptoErrorCode = (typeof CryptoErrorCode)[keyof typeof CryptoErrorCode];

export class CryptoError extends MedchainError<CryptoErrorCode> {}

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const L_LE = hexBytes('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/**
 * Canonical encodings of the 8 points of order dividing 8 (identity, order 2,
 * two of order 4, four of order 8). Non-canonical encodings of them are
 * rejected earlier by the canonical check. The test derives this list from
 * noble's Point API.
 */
export const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
].map(hexBytes);

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

// ---- keys and signing ----

export function randomSecretKey(): Uint8Array {
  return ed.utils.randomSecretKey();
}

function assertSecretKey(sk: Uint8Array): void {
  if (!(sk instanceof Uint8Array) || sk.length !== SECRET_KEY_LENGTH)
    throw new CryptoError(CryptoErrorCode.SECRET_KEY_LENGTH, { length: (sk as Uint8Array)?.length });
}

export function publicKeyOf(sk: Uint8Array): Uint8Array {
  assertSecretKey(sk);
  return ed.getPublicKey(sk);
}

/** RFC 8032 signature with @noble/ed25519 (runs anywhere, ~2.5k/s). */
export function sign(msg: Uint8Array, sk: Uint8Array): Uint8Array {
  assertSecretKey(sk);
  return ed.sign(msg, sk);
}

/**
 * The same signature through the platform (OpenSSL in Node, ~10x faster; Ed25519 is
 * deterministic, so the bytes are identical). For load generators and benchmarks. In Node the key
 * is cached by array identity: do not mutate `sk` in place between calls.
 */
export function signFast(msg: Uint8Array, sk: Uint8Array): Uint8Array {
  assertSecretKey(sk);
  return ed25519Sign(msg, sk);
}

// ---- byte checks shared by every verify path ----

/** 0 <= S < L, S little-endian at sig[32..64). */
function isCanonicalScalar(sig: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i] as number;
    const l = L_LE[i] as number;
    if (s !== l) return s < l;
  }
  return false; // S == L
}

/** y < p and not "negative zero" (x = 0, i.e. y = ±1, with the sign bit set). */
export function isCanonicalPointEncoding(b: Uint8Array, off = 0): boolean {
  const last = b[off + 31] as number;
  const top = last & 0x7f;
  const signBit = last & 0x80;
  const b0 = b[off] as number;
  if (top === 0x7f) {
    for (let i = 1; i < 31; i++) if (b[off + i] !== 0xff) return true;
    // y = 2^255 - 256 + b0 here; p = 2^255 - 19 ends in 0xed.
    if (b0 >= 0xed) return false;
    return !(signBit !== 0 && b0 === 0xec); // y = p - 1
  }
  if (top === 0 && signBit !== 0 && b0 === 1) {
    for (let i = 1; i < 31; i++) if (b[off + i] !== 0) return true;
    return false; // y = 1
  }
  return true;
}

/** Whether the 32 bytes at the start of `pk` (a key, or a signature's R) encode a small-order point. */
function isSmallOrderEncoding(pk: Uint8Array): boolean {
  for (const e of SMALL_ORDER_ENCODINGS) {
    let same = true;
    for (let i = 0; i < 32; i++) {
      if (pk[i] !== e[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  return false;
}

/** Everything but the group equation. Rejects non-Uint8Array input instead of throwing. */
function passesByteChecks(sig: unknown, pk: unknown): sig is Uint8Array {
  return (
    sig instanceof Uint8Array &&
    pk instanceof Uint8Array &&
    sig.length === SIGNATURE_LENGTH &&
    pk.length === PUBLIC_KEY_LENGTH &&
    isCanonicalScalar(sig) &&
    // Implied by comparing encodings (a computed R is always canonical); kept as an early
    // reject so the rule does not hinge on how an implementation compares R.
    isCanonicalPointEncoding(sig, 0) &&
    isCanonicalPointEncoding(pk, 0) &&
    !isSmallOrderEncoding(pk) &&
    // R of small order (an honest signer never makes one): OpenSSL 3.0 (Node 20) accepts it,
    // OpenSSL 3.5 (Node 24) rejects it. Rejecting it here keeps validators on different Node
    // versions, and both paths, on one rule (libsodium's too).
    !isSmallOrderEncoding(sig)
  );
}

// ---- verification ----

/** The node's hot path: byte checks, then the platform's equation (OpenSSL in Node, noble in browsers). */
export function verify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  if (!passesByteChecks(sig, pk) || !(msg instanceof Uint8Array)) return false;
  return ed25519Equation(sig, msg, pk);
}

/** The same rule on the JS equation everywhere (ed25519-noble.ts); tests hold the two paths equal. */
export function verifyNoble(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  if (!passesByteChecks(sig, pk) || !(msg instanceof Uint8Array)) return false;
  return nobleEquation(sig, msg, pk);
}

/**
 * For keys entering state (registration, genesis, governance): canonical,
 * on the curve, not small order, and torsion-free ([L]A = identity). Slow
 * (~ms); never on the per-signature path.
 */
export function isValidPublicKey(pk: Uint8Array): boolean {
  if (!(pk instanceof Uint8Array) || pk.length !== PUBLIC_KEY_LENGTH || !isCanonicalPointEncoding(pk)) return false;
  try {
    const A = ed.Point.fromBytes(pk, false);
    return !A.isSmallOrder() && A.isTorsionFree();
  } catch {
    return false;
  }
}
