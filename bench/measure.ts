/** Runs `fn` (which does `batch` operations per call) until `ms` elapse; returns ops/s. */
export async function opsPerSecond(fn: () => unknown | Promise<unknown>, batch: number, ms = 1000): Promise<number> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let ops = 0;
  let now = start;
  do {
    await fn();
    ops += batch;
    now = process.hrtime.bigint();
  } while (now < deadline);
  return (ops * 1e9) / Number(now - start);
}

/** Synchronous variant: no await between calls, so microbenchmarks are not dominated by ticks. */
export function opsPerSecondSync(fn: () => unknown, batch: number, ms = 1000): number {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let ops = 0;
  let now = start;
  do {
    fn();
    ops += batch;
    now = process.hrtime.bigint();
  } while (now < deadline);
  return (ops * 1e9) / Number(now - start);
}

export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const rssMb = (): number => round(process.memoryUsage().rss / 1048576, 1);
