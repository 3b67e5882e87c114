import { hchacha } from '@noble/ciphers/chacha.js';

/**
 * The XChaCha20 construction's first step (draft-irtf-cfrg-xchacha-03 §2.3), for platforms that
 * have only IETF ChaCha20-Poly1305: subkey = HChaCha20(key, nonce[0..16]) and the IETF nonce
 * 0^4 || nonce[16..24].
 */

// "expand 32-byte k" as little-endian words.
const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);

function words(b: Uint8Array, n: number): Uint32Array {
  const w = new Uint32Array(n);
  const v = new DataView(b.buffer, b.byteOffset, n * 4);
  for (let i = 0; i < n; i++) w[i] = v.getUint32(i * 4, true);
  return w;
}

/** HChaCha20(key, nonce16) as 32 bytes; the key's and the output's words are zeroed after. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const out = new Uint32Array(8);
  const k = words(key, 8);
  hchacha(SIGMA, k, words(nonce16, 4), out);
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  for (let i = 0; i < 8; i++) v.setUint32(i * 4, out[i] as number, true);
  k.fill(0);
  out.fill(0);
  return b;
}

export function xchachaIetfNonce(nonce24: Uint8Array): Uint8Array {
  const iv = new Uint8Array(12);
  iv.set(nonce24.subarray(16, 24), 4);
  return iv;
}
