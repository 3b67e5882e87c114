/**
 * Issue 18's goals on this 2-core machine, judged from the fields of the
 * saved (or fresh) results. A goal whose result is missing, lacks the
 * figure, or was measured at another size is "no result" (null), never met.
 */

import { fieldAt as at } from '../measure.js';
import type { BenchResult } from '../types.js';
import { baselineKey, sizeOf, sizeValue } from './baseline.js';

export const GOALS = {
  /** e2e.devnet, 4 validators, saturation. */
  devnetRatio: 0.5,
  maxIntervalMs: 2000,
  maxRound: 0,
  validatorCpuMsPerTx: 0.25,
  /** e2e.devnet at half the saturation rate (e2e.devnet.rate). */
  rateP50Ms: 1000,
  rateP99Ms: 3000,
  singleRatio: 0.5,
  singleP99Ms: 1000,
  applyAccess: 50_000,
  applyMixed: 30_000,
  applyRssMb: 1024,
  smtUpdate: 50_000,
  smtProve: 40_000,
  smtVerify: 40_000,
  sync: 20_000,
} as const;

export interface Goal {
  label: string;
  /** null: no result (missing, another size, or the figure absent). */
  ok: boolean | null;
  detail: string;
}

const fin = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const n0 = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
const n2 = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 2 });

type Found = { r: BenchResult } | { missing: string };

/**
 * The result of `id` in `mode` at the benchmark's default size, judged from its
 * fields; when there is none, says which sizes there are instead.
 */
function find(all: Map<string, BenchResult>, id: string, mode?: 'rate'): Found {
  const size = sizeOf(id);
  const want = size?.default;
  const r = all.get(mode === 'rate' ? `${id}.rate` : id);
  const isMode = (x: BenchResult): boolean => (mode === 'rate') === (x.mode === 'rate');
  if (r !== undefined && isMode(r) && (size === undefined || sizeValue(r) === want)) return { r };
  if (size === undefined || want === undefined) return { missing: 'no result' };
  const others = [...all.values()]
    .filter((x) => x.id === id && isMode(x) && sizeValue(x) !== want)
    .map((x) => (sizeValue(x) === undefined ? 'a size it does not record' : n0(sizeValue(x) as number)));
  const at = `no result at ${n0(want)} ${want === 1 ? size.unit.replace(/s$/, '') : size.unit}`;
  return { missing: others.length === 0 ? at : `${at} (measured at ${[...new Set(others)].join(', ')})` };
}

/** A goal on one figure of one result: at least / at most `goal`. */
function figure(
  found: Found,
  label: string,
  path: string,
  cmp: 'min' | 'max',
  goal: number,
  detail: (v: number, r: BenchResult) => string,
): Goal {
  if ('missing' in found) return { label, ok: null, detail: found.missing };
  const v = at(found.r, path);
  if (v === undefined) return { label, ok: null, detail: `no ${path} in the result` };
  return { label, ok: cmp === 'min' ? v >= goal : v <= goal, detail: detail(v, found.r) };
}

/** An e2e result's validator processes: every process but the load generator. */
export function validatorProcs(r: BenchResult): Array<{ name?: unknown; cpu_ms_per_tx?: unknown }> {
  const ps = Array.isArray(r.processes) ? (r.processes as unknown[]) : [];
  return ps.filter(
    (p): p is { name?: unknown; cpu_ms_per_tx?: unknown } =>
      typeof p === 'object' && p !== null && (p as { name?: unknown }).name !== 'loadgen',
  );
}

/** The worst validator's CPU per finalized tx: every process but the load generator. */
function validatorCpu(found: Found, label: string): Goal {
  if ('missing' in found) return { label, ok: null, detail: found.missing };
  const vals = validatorProcs(found.r)
    .map((p) => ({ name: typeof p.name === 'string' ? p.name : '?', v: fin(p.cpu_ms_per_tx) }))
    .filter((p): p is { name: string; v: number } => p.v !== undefined);
  if (vals.length === 0)
    return { label, ok: null, detail: 'no processes[].cpu_ms_per_tx of a validator in the result' };
  const worst = vals.reduce((a, b) => (b.v > a.v ? b : a));
  const best = Math.min(...vals.map((p) => p.v));
  return {
    label,
    ok: worst.v <= GOALS.validatorCpuMsPerTx,
    detail: `worst ${n2(worst.v)} ms (${worst.name}); ${vals.length} validators ${n2(best)}–${n2(worst.v)} ms`,
  };
}

const rss = (v: number, r: BenchResult): string =>
  `${n0(v)} MB after a full GC (peak ${at(r, 'rss_peak_mb') === undefined ? '—' : n0(at(r, 'rss_peak_mb') as number)} MB)`;

/** Judges every performance goal from results by baseline key (fresh results over saved ones). */
export function judgeGoals(list: BenchResult[]): Goal[] {
  const all = new Map(list.map((r) => [baselineKey(r), r]));
  const devnet = find(all, 'e2e.devnet');
  const rate = find(all, 'e2e.devnet', 'rate');
  const single = find(all, 'e2e.single');
  const access = find(all, 'state.apply.access');
  const mixed = find(all, 'state.apply.mixed');
  const sat = 'r' in devnet ? fin(devnet.r.ops_per_s) : undefined;
  // The latency goal holds at half the saturation rate: a run well below it says so.
  const atRate = (v: number, r: BenchResult): string => {
    const offered = fin(r.rate) ?? 0;
    const low = sat !== undefined && offered < 0.4 * sat ? '; offered well below half: rerun at half' : '';
    return `${n0(v)} ms at ${n0(offered)} tx/s${sat === undefined ? '' : ` (half the saturation figure: ${n0(sat / 2)}${low})`}`;
  };
  const sync = find(all, 'p2p.sync');
  // p2p.sync's goal is at its default chain (10 blocks of 5,000 txs): a smaller sync says little.
  const syncSize =
    'r' in sync && (fin(sync.r.blocks) ?? 10) * (fin(sync.r.block_txs) ?? 5000) !== 10 * 5000
      ? {
          missing: `no result at 10 blocks of 5,000 txs (measured at ${n0(fin(sync.r.blocks) ?? 10)} of ${n0(fin(sync.r.block_txs) ?? 5000)})`,
        }
      : sync;
  const tps = (v: number): string => `${n0(v)}/s`;
  return [
    figure(
      devnet,
      `e2e.devnet, 4 validators, saturation: ratio ≥ ${GOALS.devnetRatio}`,
      'ratio',
      'min',
      GOALS.devnetRatio,
      (v, r) => `${n2(v)}: ${n0(r.ops_per_s)} of ${n0(fin(r.limit_ops_per_s) ?? 0)} finalized tx/s`,
    ),
    figure(
      devnet,
      `e2e.devnet, 4 validators: no block interval above ${GOALS.maxIntervalMs / 1000} s`,
      'blocks.max_interval_ms',
      'max',
      GOALS.maxIntervalMs,
      (v) => `max interval ${n0(v)} ms`,
    ),
    figure(
      devnet,
      `e2e.devnet, 4 validators: no round above ${GOALS.maxRound}`,
      'blocks.max_round',
      'max',
      GOALS.maxRound,
      (v, r) => `max round ${v}; blocks committed after round 0: ${n0(at(r, 'blocks.committed_after_round_0') ?? 0)}`,
    ),
    validatorCpu(devnet, `e2e.devnet, 4 validators: validator CPU per finalized tx ≤ ${GOALS.validatorCpuMsPerTx} ms`),
    figure(
      rate,
      `e2e.devnet at half the saturation rate: p50 ≤ ${GOALS.rateP50Ms / 1000} s`,
      'p50_ms',
      'max',
      GOALS.rateP50Ms,
      atRate,
    ),
    figure(
      rate,
      `e2e.devnet at half the saturation rate: p99 ≤ ${GOALS.rateP99Ms / 1000} s`,
      'p99_ms',
      'max',
      GOALS.rateP99Ms,
      atRate,
    ),
    figure(
      single,
      `e2e.single: ratio ≥ ${GOALS.singleRatio}`,
      'ratio',
      'min',
      GOALS.singleRatio,
      (v, r) => `${n2(v)}: ${n0(r.ops_per_s)} of ${n0(fin(r.limit_ops_per_s) ?? 0)} finalized tx/s`,
    ),
    figure(
      single,
      `e2e.single: p99 ≤ ${GOALS.singleP99Ms / 1000} s`,
      'p99_ms',
      'max',
      GOALS.singleP99Ms,
      (v) => `${n0(v)} ms`,
    ),
    figure(
      access,
      `state.apply.access ≥ ${n0(GOALS.applyAccess)} tx/s at 1M patients`,
      'ops_per_s',
      'min',
      GOALS.applyAccess,
      tps,
    ),
    figure(access, 'state.apply.access at 1M patients: RSS ≤ 1 GiB', 'rss_mb', 'max', GOALS.applyRssMb, rss),
    figure(
      mixed,
      `state.apply.mixed ≥ ${n0(GOALS.applyMixed)} tx/s at 1M patients`,
      'ops_per_s',
      'min',
      GOALS.applyMixed,
      tps,
    ),
    figure(mixed, 'state.apply.mixed at 1M patients: RSS ≤ 1 GiB', 'rss_mb', 'max', GOALS.applyRssMb, rss),
    figure(
      find(all, 'state.smt.update'),
      `state.smt.update ≥ ${n0(GOALS.smtUpdate)} committed updates/s at 1M keys`,
      'ops_per_s',
      'min',
      GOALS.smtUpdate,
      tps,
    ),
    figure(
      find(all, 'state.smt.prove'),
      `state.smt.prove ≥ ${n0(GOALS.smtProve)}/s at 1M keys`,
      'ops_per_s',
      'min',
      GOALS.smtProve,
      tps,
    ),
    figure(
      find(all, 'state.smt.verify'),
      `state.smt.verify ≥ ${n0(GOALS.smtVerify)}/s at 1M keys`,
      'ops_per_s',
      'min',
      GOALS.smtVerify,
      tps,
    ),
    figure(syncSize, `p2p.sync ≥ ${n0(GOALS.sync)} tx/s (10 blocks of 5,000 txs)`, 'ops_per_s', 'min', GOALS.sync, tps),
  ];
}
