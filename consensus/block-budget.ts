/**
 * How many txs a proposer puts in its next block: as many as this node
 * executes in `targetMs`, learned from its own measured executions (building
 * and validating blocks), so a proposal is executed and voted well inside the
 * round's propose timeout instead of overrunning it at saturation; and no more
 * than make one height last `targetIntervalMs` from commit to commit, learned
 * from measured heights (execution is a fraction of a height: admission,
 * gossip, the body check, signatures, votes and the disk commit share the
 * CPU with it; at saturation a block of n txs takes about F + n·c ms, and
 * sizing by the measured (F + n·c) / n converges to F + n·c = target).
 *
 * This only decides what the proposer includes. Validity never depends on it
 * (the chain's maxBlockTxs and byte limits do), so the wall clock here cannot
 * split validators: a block of any size up to maxBlockTxs is judged the same.
 */
export interface BlockBudgetOptions {
  /** Execution time a block may take on this node. */
  targetMs: number;
  /** Size of the first block, before anything is measured. */
  initialTxs: number;
  /** Never fewer than this (a slow sample must not starve the chain). */
  minTxs: number;
  /** A block grows at most this factor over the largest measured one (extrapolation is not trusted further). */
  maxGrowth: number;
  /** Weight of the newest sample in the moving average of ms per tx. */
  alpha: number;
  /** Executions of fewer txs are not sampled (fixed costs dominate them). */
  minSampleTxs: number;
  /** Commit-to-commit time a height may take at saturation (see observeInterval). */
  targetIntervalMs: number;
}

export const defaultBlockBudgetOptions: BlockBudgetOptions = {
  targetMs: 750,
  initialTxs: 1000,
  minTxs: 100,
  maxGrowth: 2,
  alpha: 0.3,
  minSampleTxs: 50,
  targetIntervalMs: 2000,
};

export class BlockBudget {
  private msPerTx: number | undefined;
  /** Commit-to-commit ms per tx of busy heights, a moving average. */
  private intervalMsPerTx: number | undefined;
  private largest = 0;

  constructor(private readonly opts: BlockBudgetOptions = defaultBlockBudgetOptions) {}

  /** Records one execution of `txs` txs that took `ms`. */
  observe(txs: number, ms: number): void {
    if (txs < this.opts.minSampleTxs || !(ms >= 0) || !Number.isFinite(ms)) return;
    const sample = ms / txs;
    this.msPerTx = this.msPerTx === undefined ? sample : this.msPerTx + this.opts.alpha * (sample - this.msPerTx);
    if (txs > this.largest) this.largest = txs;
  }

  /**
   * Records one height of `txs` txs that took `ms` from the previous commit to its own, when
   * txs were already waiting at the previous commit (an idle wait for txs is not a cost).
   */
  observeInterval(txs: number, ms: number): void {
    if (txs < this.opts.minSampleTxs || !(ms >= 0) || !Number.isFinite(ms)) return;
    const sample = ms / txs;
    const avg = this.intervalMsPerTx;
    this.intervalMsPerTx = avg === undefined ? sample : avg + this.opts.alpha * (sample - avg);
  }

  /** The tx cap for the next block, within [minTxs, max]. */
  cap(max: number): number {
    const o = this.opts;
    let n = o.initialTxs;
    if (this.msPerTx !== undefined) {
      const fit = Math.min(fits(o.targetMs, this.msPerTx), fits(o.targetIntervalMs, this.intervalMsPerTx));
      n = Math.min(fit, Math.max(o.initialTxs, Math.floor(this.largest * o.maxGrowth)));
    }
    return Math.max(Math.min(o.minTxs, max), Math.min(max, n));
  }

  /** The learned commit-to-commit cost, for metrics and logs (undefined before the first busy height). */
  get intervalMsPerTxEstimate(): number | undefined {
    return this.intervalMsPerTx;
  }

  /** The learned execution cost, for metrics and logs (undefined before the first sample). */
  get msPerTxEstimate(): number | undefined {
    return this.msPerTx;
  }
}

/** Txs that fit `ms` at `perTx` ms each (unbounded when nothing is measured yet). */
const fits = (ms: number, perTx: number | undefined): number =>
  perTx !== undefined && perTx > 0 ? Math.floor(ms / perTx) : Number.POSITIVE_INFINITY;
