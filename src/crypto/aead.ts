import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { MedchainError } from '../errors.js';

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) on OpenSSL: HChaCha20 (noble, one block)
 * derives a subkey from the key and the first 16 nonce bytes, then OpenSSL's IETF
 * ChaCha20-Poly1305 runs with nonce 0^4 || nonce[16..24]. The bytes are those of
 * @noble/ciphers' xchacha20poly1305 (a property test holds them equal); the speed is
 * OpenSSL's: ~9x noble's on 1 MiB, ~6x on 4 KiB on the project machine.
 */

export const AeadErrorCode = {
  /** Wrong key, nonce or associated data, or altered ciphertext/tag. */
  AUTH_FAILED: 'AEAD_AUTH_FAILED',
  BAD_LENGTH: 'AEAD_BAD_LENGTH',
} as const;
export type AeadErrorCode = (typeof AeadErrorCode)[keyof typeof AeadErrorCode];
export class AeadError extends MedchainError<AeadErrorCode> {}

export const KEY_BYTES = 32;
export const XNONCE_BYTES = 24;
export const TAG_BYTES = 16;

// "expand 32-byte k" as little-endian words.
const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);

function words(b: Uint8Array, n: number): Uint32Array {
  const w = new Uint32Array(n);
  const v = new DataView(b.buffer, b.byteOffset, n * 4);
  for (let i = 0; i < n; i++) w[i] = v.getUint32(i * 4, true);
  return w;
}

/** HChaCha20(key, nonce[0..16]) as 32 bytes; the key's and the subkey's words are zeroed after. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const out = new Uint32Array(8);
  const k = words(key, 8);
  hchacha(SIGMA, k, words(nonce16, 4), out);
  const b = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) b.writeUInt32LE(out[i] as number, i * 4);
  k.fill(0);
  out.fill(0);
  return b;
}

function ietf(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; iv: Buffer } {
  if (key.length !== KEY_BYTES || nonce.length !== XNONCE_BYTES)
    throw new AeadError(AeadErrorCode.BAD_LENGTH, { key: key.length, nonce: nonce.length });
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey: hchacha20(key, nonce.subarray(0, 16)), iv };
}

/** ciphertext || tag. */
export function xchachaSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { subkey, iv } = ietf(key, nonce);
  const c = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
  subkey.fill(0);
  c.setAAD(ad, { plaintextLength: plaintext.length });
  const out = new Uint8Array(plaintext.length + TAG_BYTES);
  out.set(c.update(plaintext), 0);
  c.final();
  out.set(c.getAuthTag(), plaintext.length);
  return out;
}

/** The plaintext of ciphertext || tag; AUTH_FAILED if anything was altered or the key is wrong. */
export function xchachaOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_BYTES) throw new AeadError(AeadErrorCode.BAD_LENGTH, { sealed: sealed.length });
  const { subkey, iv } = ietf(key, nonce);
  const n = sealed.length - TAG_BYTES;
  const d = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
  subkey.fill(0);
  d.setAAD(ad, { plaintextLength: n });
  d.setAuthTag(sealed.subarray(n));
  const plain = d.update(sealed.subarray(0, n));
  try {
    d.final();
  } catch {
    plain.fill(0);
    throw new AeadError(AeadErrorCode.AUTH_FAILED);
  }
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}
