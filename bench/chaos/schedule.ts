/**
 * A seeded fault schedule: which validator gets which fault, when, for how
 * long. Faults may overlap, but never more than f = floor((n - 1) / 3)
 * validators are faulty at once, and the last one heals before the quiet tail
 * in which liveness is judged. The same seed gives the same schedule.
 */
import { Rng } from '../../consensus/sim/prng.js';

export const FAULT_KINDS = ['kill', 'pause'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  node: number;
  /** Start, ms from the start of the run. */
  at: number;
  /** How long the node stays faulty (killed until restarted, paused until continued). */
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
  for (let at = o.warmupMs; at + o.minFaultMs <= end; at += rng.range(o.minGapMs, o.maxGapMs)) {
    const ms = Math.min(rng.range(o.minFaultMs, o.maxFaultMs), end - at);
    const busy = out.filter((x) => overlaps(x, at, at + ms));
    if (busy.length >= f) continue;
    const free = Array.from({ length: o.validators }, (_, i) => i).filter((i) => !busy.some((x) => x.node === i));
    out.push({ kind: rng.pick(o.kinds), node: rng.pick(free), at, ms });
  }
  return out;
}

/** The most validators faulty at any one time (for checks and the summary). */
export function peakFaulty(faults: readonly Fault[]): number {
  let peak = 0;
  for (const a of faults) peak = Math.max(peak, faults.filter((b) => overlaps(b, a.at, a.at + 1)).length);
  return peak;
}
