/**
 * A seeded fault schedule: which validators get which fault, when, for how
 * long. Faults may overlap, but never more than f = floor((n - 1) / 3)
 * validators are faulty at once, except in a `quorum` fault (f + 1
 * validators cut off at once, overlapping nothing: the chain must stall and
 * then resume when quorum returns). The last fault heals before the quiet
 * tail in which liveness is judged. The same seed gives the same schedule.
 */
import { Rng } from '../../consensus/sim/prng.js';

/**
 * kill: kill -9, restart. pause: SIGSTOP, SIGCONT. partition: its link down, up.
 * skew: restarted with a clock offset within the allowed drift. wal: kill -9, WAL tail
 * truncated or corrupted, restart. disk: its data disk fills up (it must stop by itself),
 * space freed, restart. quorum: f + 1 validators partitioned at once.
 */
export const FAULT_KINDS = ['kill', 'pause', 'partition', 'skew', 'wal', 'disk', 'quorum'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Faults that need root and a Linux kernel feature (network namespaces, tmpfs mounts). */
export const NETNS_KINDS: readonly FaultKind[] = ['partition', 'quorum'];

export interface Fault {
  kind: FaultKind;
  /** The victims: one validator, or f + 1 for `quorum`. */
  nodes: number[];
  /** Start, ms from the start of the run. */
  at: number;
  /** How long the fault lasts (killed until restarted, paused until continued, cut until healed). */
  ms: number;
}

export interface ScheduleOptions {
  seed: number;
  validators: number;
  durationMs: number;
  kinds: readonly FaultKind[];
  /** No fault starts before this (the network first makes blocks). */
  warmupMs: number;
  /** Every fault has healed this long before the end. */
  quietMs: number;
  minFaultMs: number;
  maxFaultMs: number;
  /** Gap between two fault starts. */
  minGapMs: number;
  maxGapMs: number;
}

export const maxFaulty = (n: number): number => Math.floor((n - 1) / 3);

const overlaps = (f: Fault, from: number, to: number): boolean => f.at < to && from < f.at + f.ms;

export function makeSchedule(o: ScheduleOptions): Fault[] {
  const rng = new Rng(o.seed);
  const f = maxFaulty(o.validators);
  const out: Fault[] = [];
  const end = o.durationMs - o.quietMs;
  if (f === 0 || o.kinds.length === 0) return out;
  const all = Array.from({ length: o.validators }, (_, i) => i);
  for (let at = o.warmupMs; at + o.minFaultMs <= end; at += rng.range(o.minGapMs, o.maxGapMs)) {
    const ms = Math.min(rng.range(o.minFaultMs, o.maxFaultMs), end - at);
    const kind = rng.pick(o.kinds);
    const busy = out.filter((x) => overlaps(x, at, at + ms));
    if (busy.some((x) => x.kind === 'quorum')) continue;
    if (kind === 'quorum') {
      if (busy.length > 0) continue;
      const pool = all.slice();
      const nodes: number[] = [];
      while (nodes.length <= f) nodes.push(pool.splice(rng.range(0, pool.length - 1), 1)[0] as number);
      out.push({ kind, nodes: nodes.sort((a, b) => a - b), at, ms });
      continue;
    }
    const busyNodes = busy.flatMap((x) => x.nodes);
    if (busyNodes.length >= f) continue;
    const free = all.filter((i) => !busyNodes.includes(i));
    out.push({ kind, nodes: [rng.pick(free)], at, ms });
  }
  return out;
}

/** The most validators faulty at any one time outside `quorum` faults (for checks and the summary). */
export function peakFaulty(faults: readonly Fault[]): number {
  const fs = faults.filter((x) => x.kind !== 'quorum');
  let peak = 0;
  for (const a of fs)
    peak = Math.max(
      peak,
      fs.filter((b) => overlaps(b, a.at, a.at + 1)).reduce((s, b) => s + b.nodes.length, 0),
    );
  return peak;
}
