import type { Executor } from '../../consensus/engine/driver.js';
import type { NodeMetrics } from './metrics.js';

/**
 * The consensus executor with its work timed: building and validating blocks, and commits.
 * Commit results must reach the engine exactly as soon as before: the node resolves a synced
 * block on the `committed` event and feeds the next one at once, and a commit result that
 * reached the engine a microtask later made it drop that next block (one block per retry).
 */
export function timedExecutor(e: Executor, m: NodeMetrics): Executor {
  const timed = <T>(run: () => Promise<T>, record: (s: number) => void): Promise<T> => {
    const t0 = performance.now();
    const p = run();
    const done = (): void => record((performance.now() - t0) / 1000);
    p.then(done, done);
    return p;
  };
  return {
    buildBlock: (h, r, t) =>
      timed(
        () => e.buildBlock(h, r, t),
        (s) => m.execution('build', s),
      ),
    validateBlock: (h, b) =>
      timed(
        () => e.validateBlock(h, b),
        (s) => m.execution('validate', s),
      ),
    // Timed up to the node's onCommitted (NodeMetrics.committed): nothing attached to the promise.
    commit: (h, b, c) => {
      m.commitStarted(performance.now());
      return e.commit(h, b, c);
    },
    hashBlock: (b) => e.hashBlock(b),
    ...(e.hasPendingTxs ? { hasPendingTxs: () => e.hasPendingTxs?.() ?? false } : {}),
  };
}
