/** Shapes shared by the two platform files (node.ts, browser.ts). */

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  dkLen: number;
}

/** An X25519 secret in the platform's own form (an OpenSSL key object, or the raw scalar) and its public u. */
export interface X25519Secret {
  readonly handle: unknown;
  readonly u: Uint8Array;
}
