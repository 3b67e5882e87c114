import { sha256 } from '../../src/crypto/hash.js';

/** sha256 for the state tree's hot path. */
export const sha256Bytes = (data: Uint8Array): Uint8Array => sha256(data);

/** sha256(data) as a latin1 string: a node cache key. */
export const sha256Key = (data: Uint8Array): string => hashKey(sha256(data));

/** Buffer's native latin1 slice called on a plain Uint8Array: no Buffer wrapper per key. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

/** A node hash's Map key: its 32 bytes as a one-byte string (an exact 1:1 mapping). */
export const hashKey = (hash: Uint8Array): string => latin1Slice.call(hash, 0, hash.length);
