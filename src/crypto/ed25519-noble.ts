import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

/**
 * The Ed25519 equation in JS, computed as OpenSSL does. noble's own `verify` is not used: both its
 * modes test the cofactored equation [8]([S]B - R - [k]A) == 0 (`clearCofactor().is0()`), which
 * accepts R + torsion. Here it is cofactorless: encode([S]B - [k]A) == R bytes. The caller has run
 * the byte checks (ed25519.ts).
 */

ed.hashes.sha512 = sha512;

/** Group order L = 2^252 + 27742317777372353535851937790883648493. */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

export function nobleEquation(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  try {
    const A = ed.Point.fromBytes(pk, false); // strict decode; throws if not on the curve
    const r = sig.subarray(0, 32);
    const hashed = new Uint8Array(64 + msg.length);
    hashed.set(r);
    hashed.set(pk, 32);
    hashed.set(msg, 64);
    const k = leToBigint(sha512(hashed)) % L;
    const S = leToBigint(sig.subarray(32, 64));
    const rCheck = ed.Point.BASE.multiply(S, false).subtract(A.multiply(k, false)).toBytes();
    let diff = 0;
    for (let i = 0; i < 32; i++) diff |= (rCheck[i] as number) ^ (r[i] as number);
    return diff === 0;
  } catch {
    return false;
  }
}

export const nobleSign = (msg: Uint8Array, sk: Uint8Array): Uint8Array => ed.sign(msg, sk);

function leToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number);
  return n;
}
