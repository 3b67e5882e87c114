/** Options of the custodian vault, with defaults. */
export interface VaultOptions {
  /** LevelDB directory of ciphertexts, wrapped keys, receipts and the refusal log. */
  dir: string;
  host: string;
  port: number;
  /** Largest ciphertext accepted (bytes). */
  maxRecordBytes: number;
  /** Largest total stored (bytes); PUTs beyond it are refused TOO_LARGE. */
  maxTotalBytes: number;
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
}

export const defaultVaultOptions: Omit<VaultOptions, 'dir'> = {
  host: '127.0.0.1',
  port: 8600,
  maxRecordBytes: 16 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024 * 1024,
  maxSkewMs: 30_000,
  keyCacheMs: 5_000,
  maxNonces: 1_000_000,
  followErasures: true,
  verifyWorkers: 1,
};

/**
 * Concurrent requests share verify jobs: one message to the worker per batch instead of per
 * request (a message costs about a third of a verify); a request waits only while the workers
 * are busy.
 */
export const VAULT_VERIFY_BATCHING = { maxBatch: 4, maxWaitMs: 1, flushWhenIdle: true } as const;
