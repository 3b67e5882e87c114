/** Options of the custodian vault, with defaults. */

export interface VaultLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface VaultOptions {
  /** LevelDB directory of ciphertexts, wrapped keys, receipts and the refusal log. */
  dir: string;
  host: string;
  port: number;
  /** Largest ciphertext accepted (bytes). */
  maxRecordBytes: number;
  /** Largest total stored (bytes); PUTs beyond it are refused TOO_LARGE. */
  maxTotalBytes: number;
  /** Largest total one identity may have uploaded (bytes); beyond it QUOTA_EXCEEDED. */
  maxBytesPerIdentity: number;
  /** A request's time must be within ±maxSkewMs of the vault's clock. */
  maxSkewMs: number;
  /** How long an identity's current key is cached (key rotation takes effect within it). */
  keyCacheMs: number;
  /** Bound on remembered request nonces (each lives 2 × maxSkewMs). */
  maxNonces: number;
  /** Follow finalized erasures over the node's WebSocket and shred. */
  followErasures: boolean;
  /** Worker threads verifying request signatures (0: on the main thread). */
  verifyWorkers: number;
  /** How long `open` waits for the requester's ACCESS tx to be final (also bounded by the tx's expiry). */
  finalityTimeoutMs: number;
  /**
   * The block that includes the ACCESS tx may be at most this old against the vault's clock (and
   * the head, when the tx is not final in time): a stalled chain or a lagging node serves nothing.
   */
  maxChainLagMs: number;
  /** Open connections at most; more are closed at once (the limit counts waiting opens too). */
  maxConnections: number;
  /** Requests per second per client address (token bucket; burst = 2 s worth). 0: no limit. */
  ratePerAddress: number;
  /** Requests per second per authenticated identity (token bucket; burst = 2 s worth). 0: no limit. */
  ratePerIdentity: number;
  /** Refusal rows kept (oldest dropped). Unauthenticated junk is only counted, never stored. */
  maxRefusals: number;
  /** A stored blob whose pointer is still not on chain after this long is collected. */
  unanchoredGraceMs: number;
  /** Operator token that may read the refusal log (besides the custodian org's signed request). */
  operatorToken?: string;
  /**
   * Shared with the node's /vault proxy (rpc/vault-proxy.ts), which sends it with the key of the
   * caller it forwards for: such a request is charged to that caller's address allowance, not to
   * the proxy's one address (else one caller behind the proxy would exhaust it for everyone).
   */
  proxySecret?: string;
}

export const defaultVaultOptions: Omit<VaultOptions, 'dir'> = {
  host: '127.0.0.1',
  port: 8600,
  maxRecordBytes: 16 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024 * 1024,
  maxBytesPerIdentity: 1024 * 1024 * 1024,
  maxSkewMs: 30_000,
  keyCacheMs: 5_000,
  maxNonces: 1_000_000,
  followErasures: true,
  verifyWorkers: 1,
  finalityTimeoutMs: 15_000,
  maxChainLagMs: 15_000,
  maxConnections: 1_024,
  ratePerAddress: 2_000,
  ratePerIdentity: 200,
  maxRefusals: 100_000,
  unanchoredGraceMs: 24 * 3_600_000,
};

/**
 * Concurrent requests share verify jobs: one message to the worker per batch instead of per
 * request (a message costs about a third of a verify); a request waits only while the workers
 * are busy.
 */
export const VAULT_VERIFY_BATCHING = { maxBatch: 4, maxWaitMs: 1, flushWhenIdle: true } as const;
