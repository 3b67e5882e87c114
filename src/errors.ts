/**
 * One coded error base for the whole node (after lodestar's LodestarError).
 * Codes are a bounded set per subsystem so tests and metrics can use them;
 * `meta` carries small, PHI-free facts (sizes, heights, ids), never payloads.
 */
export class MedchainError<C extends string = string> extends Error {
  readonly code: C;
  readonly meta: Record<string, unknown>;

  constructor(code: C, meta: Record<string, unknown> = {}, message?: string) {
    super(message ?? describe(code, meta));
    this.name = 'MedchainError';
    this.code = code;
    this.meta = meta;
  }
}

function describe(code: string, meta: Record<string, unknown>): string {
  const keys = Object.keys(meta);
  if (keys.length === 0) return code;
  return `${code} ${keys.map((k) => `${k}=${String(meta[k])}`).join(' ')}`;
}

/**
 * A write failed because the disk is full: ENOSPC from node:fs, or LevelDB's IO error text
 * (classic-level reports it as a message), anywhere along the `cause` chain.
 */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'ENOSPC' || e.message.includes('No space left on device')) return true;
  }
  return false;
}

export function isCoded(err: unknown, code?: string): err is MedchainError {
  return err instanceof MedchainError && (code === undefined || err.code === code);
}
