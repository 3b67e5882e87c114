/** A benchmark result line, printed as one JSON object per line with --json. */
export interface BenchResult {
  id: string;
  ops_per_s: number;
  /** The physical limit measured in the same run (e.g. raw ed25519 verifies/s). */
  limit_ops_per_s?: number;
  /** ops_per_s / limit_ops_per_s. */
  ratio?: number;
  /** Any further figures (p50_ms, rss_mb, mib_per_s ...). */
  [extra: string]: unknown;
}

export interface BenchContext {
  /** Extra CLI flags after the ids, e.g. { validators: '4', seconds: '60' }. */
  flags: Record<string, string | boolean>;
  /** Progress lines go to stderr so stdout stays machine-readable. */
  log: (line: string) => void;
}

export interface Benchmark {
  /** Stable id, e.g. 'crypto.verify.pool'. */
  id: string;
  /** Run by default when no ids are named (long e2e runs set false). */
  default?: boolean;
  run(ctx: BenchContext): Promise<BenchResult>;
}
