import type { Executor } from '../../consensus/engine/driver.js';
import type { NodeMetrics } from './metrics.js';

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/** The consensus executor with its work timed: building and validating blocks, and commits. */
export function timedExecutor(e: Executor, m: NodeMetrics): Executor {
  const time = async <T>(work: () => Promise<T>, record: (s: number) => void): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      record(seconds(t0));
    }
  };
  return {
    buildBlock: (h, r, t) =>
      time(
        () => e.buildBlock(h, r, t),
        (s) => m.execution('build', s),
      ),
    validateBlock: (h, b) =>
      time(
        () => e.validateBlock(h, b),
        (s) => m.execution('validate', s),
      ),
    commit: (h, b, c) =>
      time(
        () => e.commit(h, b, c),
        (s) => m.blockCommit(s),
      ),
    hashBlock: (b) => e.hashBlock(b),
    ...(e.hasPendingTxs ? { hasPendingTxs: () => e.hasPendingTxs?.() ?? false } : {}),
  };
}
