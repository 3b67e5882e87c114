import { hash as nodeHash } from 'node:crypto';

/**
 * sha256 on the node's hot path uses OpenSSL through `crypto.hash`
 * (PLATFORM.md: ~2x @noble/hashes for 64-byte inputs). The client SDK uses
 * @noble/hashes so it runs in browsers; both give the same digest.
 */
export function sha256(data: Uint8Array): Uint8Array {
  const b = nodeHash('sha256', data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

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
