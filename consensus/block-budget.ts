/**
 * How many txs a proposer puts in its next block: as many as this node
 * executes in `targetMs`, learned from its own measured executions (building
 * and validating blocks), so a proposal is executed and voted well inside the
 * round's propose timeout instead of overrunning it at saturation.
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
}

export const defaultBlockBudgetOptions: BlockBudgetOptions = {
  targetMs: 750,
  initialTxs: 1000,
  minTxs: 100,
  maxGrowth: 2,
  alpha: 0.3,
  minSampleTxs: 50,
};

export class BlockBudget {
  private msPerTx: number | undefined;
  private largest = 0;

  constructor(private readonly opts: BlockBudgetOptions = defaultBlockBudgetOptions) {}

  /** Records one execution of `txs` txs that took `ms`. */
  observe(txs: number, ms: number): void {
    if (txs < this.opts.minSampleTxs || !(ms >= 0) || !Number.isFinite(ms)) return;
    const sample = ms / txs;
    this.msPerTx = this.msPerTx === undefined ? sample : this.msPerTx + this.opts.alpha * (sample - this.msPerTx);
    if (txs > this.largest) this.largest = txs;
  }

  /** The tx cap for the next block, within [minTxs, max]. */
  cap(max: number): number {
    const o = this.opts;
    let n = o.initialTxs;
    if (this.msPerTx !== undefined) {
      const fit = this.msPerTx > 0 ? Math.floor(o.targetMs / this.msPerTx) : Number.POSITIVE_INFINITY;
      n = Math.min(fit, Math.max(o.initialTxs, Math.floor(this.largest * o.maxGrowth)));
    }
    return Math.max(Math.min(o.minTxs, max), Math.min(max, n));
  }

  /** The learned execution cost, for metrics and logs (undefined before the first sample). */
  get msPerTxEstimate(): number | undefined {
    return this.msPerTx;
  }
}
