import { sha256 as platformSha256 } from '#crypto-platform';

/**
 * sha256 through the platform: OpenSSL's one-shot hash in Node (~2x @noble/hashes
 * for 64-byte inputs), @noble/hashes in browsers; both give the same digest.
 */
export const sha256: (data: Uint8Array) => Uint8Array = platformSha256;

/** sha256(a || b || ...) without the caller allocating the concatenation. */
export function sha256Parts(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const buf = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return sha256(buf);
}
