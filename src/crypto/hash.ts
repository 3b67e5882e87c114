import { sha256 as platformSha256 } from '#crypto-platform';
import { concat } from '../codec/bytes.js';

/**
 * sha256 through the platform: OpenSSL's one-shot hash in Node (~2x @noble/hashes
 * for 64-byte inputs), @noble/hashes in browsers; both give the same digest.
 */
export const sha256: (data: Uint8Array) => Uint8Array = platformSha256;

/** sha256(a || b || ...). */
export const sha256Parts = (parts: readonly Uint8Array[]): Uint8Array => sha256(concat(...parts));
