import { constants, PerformanceObserver } from 'node:perf_hooks';
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

/**
 * Main-thread GC pauses (PerformanceObserver 'gc' entries) that start inside
 * the intervals passed to `count`: scavenges (minor) and the rest (mark-compact,
 * incremental steps, weak callbacks). Entries arrive asynchronously, so `stop`
 * waits a turn and takes what is still buffered.
 */
export function gcMeter(): {
  count(from: number, to: number): void;
  stop(): Promise<{ minorMs: number; otherMs: number; minor: number; other: number }>;
} {
  const entries: { start: number; ms: number; minor: boolean }[] = [];
  const take = (list: PerformanceEntry[]): void => {
    for (const e of list) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      entries.push({ start: e.startTime, ms: e.duration, minor: kind === constants.NODE_PERFORMANCE_GC_MINOR });
    }
  };
  const obs = new PerformanceObserver((list) => take(list.getEntries()));
  obs.observe({ entryTypes: ['gc'] });
  const spans: [number, number][] = [];
  return {
    count(from, to) {
      spans.push([from, to]);
    },
    async stop() {
      await new Promise((r) => setTimeout(r, 0));
      take(obs.takeRecords());
      obs.disconnect();
      const out = { minorMs: 0, otherMs: 0, minor: 0, other: 0 };
      for (const e of entries) {
        if (!spans.some(([a, b]) => e.start >= a && e.start < b)) continue;
        if (e.minor) {
          out.minorMs += e.ms;
          out.minor++;
        } else {
          out.otherMs += e.ms;
          out.other++;
        }
      }
      return out;
    },
  };
}

/** The figure at a dotted path of a result (blocks.max_interval_ms), when it is a finite number. */
export function fieldAt(r: object, path: string): number | undefined {
  let v: unknown = r;
  for (const p of path.split('.'))
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
