/**
 * The linear-cost check (noble's slow-dos pattern): time an operation on an
 * input of size n and of size 4n, median of several runs each, and require the
 * ratio to stay well under quadratic growth (16). No absolute threshold, so a
 * slow machine does not fail it; CPU time rather than wall time, so a busy one
 * does not either; two retries absorb what noise is left (process CPU time also
 * counts LevelDB's background compaction: one sample in CI read 9.5 on a path
 * that reads 2.3-6.9 in repeated runs; a quadratic one reads above 11 every time).
 */
import * as assert from 'uvu/assert';

/** Linear growth gives ~4, quadratic ~16: 8 leaves room for noise and n log n. */
export const MAX_RATIO = 8;
const RUNS = 7;

export type Op = () => unknown;

/**
 * CPU time (ms) of `reps` calls: on a machine shared with other busy processes,
 * wall time mostly measures the scheduler; CPU time measures the work.
 */
async function once(op: Op, reps: number): Promise<number> {
  const t0 = cpuUsage();
  for (let i = 0; i < reps; i++) {
    const r = op();
    if (r instanceof Promise) await r;
  }
  const d = cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

/**
 * This thread's CPU time where Node has it (Node 24): LevelDB's compaction and the GC's helper
 * threads are not the operation's work. Node 20 has only the process's.
 */
const threadCpu = (process as { threadCpuUsage?: typeof process.cpuUsage }).threadCpuUsage;
const cpuUsage: typeof process.cpuUsage = threadCpu === undefined ? process.cpuUsage : threadCpu.bind(process);

const median = (ts: number[]): number => ts.sort((a, b) => a - b)[ts.length >> 1] as number;
/** Repetitions so that one timed run of the small input takes at least ~20 ms of CPU. */
async function calibrate(op: Op): Promise<number> {
  let reps = 1;
  for (;;) {
    const ms = await once(op, reps);
    if (ms >= 20 || reps >= 1 << 20) return reps;
    reps *= ms < 2 ? 8 : 2;
  }
}

/**
 * t(4n) / t(n) for operations prepared outside the timing by `make(size)`. The
 * two sizes alternate after a warm-up of both, so JIT tiering and background
 * compilation (which CPU time counts) do not land on one side only.
 */
export async function costRatio(make: (size: number) => Op | Promise<Op>, n: number): Promise<number> {
  const small = await make(n);
  const big = await make(4 * n);
  const reps = await calibrate(small);
  for (let i = 0; i < 2; i++) {
    await once(small, reps);
    await once(big, reps);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await once(small, reps));
    b.push(await once(big, reps));
  }
  return median(b) / Math.max(median(a), 1e-6);
}

/** Asserts linear cost in `n`, retrying twice before failing. */
export async function assertLinear(what: string, make: (size: number) => Op | Promise<Op>, n: number): Promise<number> {
  let r = await costRatio(make, n);
  for (let retry = 0; retry < 2 && r >= MAX_RATIO; retry++) r = await costRatio(make, n);
  if (process.env.LINEAR_VERBOSE) console.log(`${what}: t(4n)/t(n) = ${r.toFixed(2)} (n = ${n})`);
  assert.ok(r < MAX_RATIO, `${what}: t(4n)/t(n) = ${r.toFixed(1)} >= ${MAX_RATIO} (n = ${n}): superlinear`);
  return r;
}

/** Runs an op that is expected to throw (a rejection is still work the attacker sized). */
export const swallow =
  (fn: () => unknown): Op =>
  () => {
    try {
      fn();
    } catch {
      // the cost is what is measured
    }
  };
