/**
 * Baselines: bench/results/<key>.json holds the saved result of each
 * benchmark, written by `--save`. Every run prints a table against them.
 * key = id, then ".<tag><n>" when the run's size is not the benchmark's
 * default (SIZES: e2e.devnet.v7, state.smt.update.k3000000,
 * state.apply.access.p200000), then ".rate" for a latency run at a fixed
 * rate (e2e.devnet.rate, e2e.devnet.v7.rate). So a run is compared with the
 * baseline of its own size, and a scaling curve is the set of saved results
 * of one id at several sizes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../types.js';

/** The repository root: the nearest directory above this file with a package.json (works from dist/ too). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  throw new Error('repository root not found');
}

export const resultsDir = (): string => join(repoRoot(), 'bench', 'results');

/** What a benchmark's size is: the result field that carries it, the key's tag, and the default size. */
export interface Size {
  field: string;
  tag: string;
  default: number;
  /** "validators", "keys", "patients": for labels. */
  unit: string;
}

/** Sized benchmarks by id prefix (a prefix ending in "." covers the group). */
export const SIZES: ReadonlyArray<{ prefix: string } & Size> = [
  { prefix: 'e2e.devnet', field: 'validators', tag: 'v', default: 4, unit: 'validators' },
  { prefix: 'e2e.single', field: 'validators', tag: 'v', default: 1, unit: 'validators' },
  { prefix: 'state.smt.', field: 'loaded_keys', tag: 'k', default: 1_000_000, unit: 'keys' },
  { prefix: 'state.apply.', field: 'patients', tag: 'p', default: 1_000_000, unit: 'patients' },
];

export const sizeOf = (id: string): Size | undefined =>
  SIZES.find((s) => (s.prefix.endsWith('.') ? id.startsWith(s.prefix) : id === s.prefix));

/** The size a result was measured at (undefined for unsized benchmarks, or a result that does not say). */
export function sizeValue(r: BenchResult): number | undefined {
  const s = sizeOf(r.id);
  const v = s === undefined ? undefined : r[s.field];
  // Sizes are counts: anything else is no size (and never part of a file name).
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export function baselineKey(r: BenchResult): string {
  const s = sizeOf(r.id);
  const n = sizeValue(r);
  const sized = s !== undefined && n !== undefined && n !== s.default ? `${r.id}.${s.tag}${n}` : r.id;
  return r.mode === 'rate' ? `${sized}.rate` : sized;
}

export interface Saved extends BenchResult {
  saved_at?: string;
  commit?: string;
  /** The machine's load average and CPU when the result was saved (right after the run). */
  saved_load?: number[];
  saved_machine?: { cpu?: string; cores: number; node: string };
}

export function loadBaseline(key: string, dir = resultsDir()): Saved | undefined {
  const f = join(dir, `${key}.json`);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Saved;
  } catch {
    return undefined;
  }
}

export function loadAllBaselines(dir = resultsDir()): Map<string, Saved> {
  const out = new Map<string, Saved>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const b = loadBaseline(f.slice(0, -5), dir);
    if (b !== undefined) out.set(f.slice(0, -5), b);
  }
  return out;
}

function commit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function saveBaseline(r: BenchResult, dir = resultsDir()): string {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, `${baselineKey(r)}.json`);
  const c = commit();
  const saved: Saved = {
    ...r,
    saved_at: new Date().toISOString(),
    ...(c ? { commit: c } : {}),
    saved_load: loadavg().map((x) => Math.round(x * 100) / 100),
    saved_machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version },
  };
  writeFileSync(f, `${JSON.stringify(saved, null, 2)}\n`);
  return f;
}

export interface Row {
  id: string;
  figure: string;
  value: number | null;
  baseline: number | null;
  /** Relative change; positive is better. */
  change: number | null;
  limit: number | null;
  ratio: number | null;
  /** Worse than the baseline by more than the noise threshold. */
  regression: boolean;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A result's name in tables: its key, with the offered rate of a rate run. */
const label = (r: BenchResult): string => {
  const k = baselineKey(r);
  return r.mode === 'rate' ? `${k.slice(0, -'.rate'.length)} @${r.rate}/s` : k;
};

/** The run table's rows: each result against the saved baseline of its own key (so of its own size). */
export const runRows = (results: BenchResult[], dir = resultsDir()): Row[] =>
  results.flatMap((r) => rows(r, loadBaseline(baselineKey(r), dir)));

/** Rows of the run table for one result: its ops/s and, for latency figures, p50 and p99 (lower is better). */
export function rows(r: BenchResult, base: BenchResult | undefined, threshold = 0.1): Row[] {
  const out: Row[] = [];
  const add = (figure: string, field: string, higherIsBetter: boolean, withLimit: boolean): void => {
    const value = num(r[field]);
    const baseline = num(base?.[field]);
    const change =
      value !== null && baseline !== null && baseline !== 0
        ? (((higherIsBetter ? value - baseline : baseline - value) / baseline) as number)
        : null;
    out.push({
      id: label(r),
      figure,
      value,
      baseline,
      change,
      limit: withLimit ? num(r.limit_ops_per_s) : null,
      ratio: withLimit ? num(r.ratio) : null,
      regression: change !== null && change < -threshold,
    });
  };
  add(r.id.startsWith('e2e.') ? 'finalized tx/s' : 'ops/s', 'ops_per_s', true, true);
  if (r.p50_ms !== undefined) add('p50 ms', 'p50_ms', false, false);
  if (r.p99_ms !== undefined) add('p99 ms', 'p99_ms', false, false);
  return out;
}

const fmt = (x: number | null, digits = 0): string =>
  x === null ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const fmtChange = (c: number | null): string => (c === null ? '—' : `${c >= 0 ? '+' : ''}${(c * 100).toFixed(1)}%`);

/** The plain-text table printed after every run. */
export function table(all: Row[]): string {
  const head = ['id', 'figure', 'value', 'baseline', 'change', 'limit', 'ratio'];
  const body = all.map((r) => [
    r.id,
    r.figure,
    fmt(r.value),
    fmt(r.baseline),
    `${fmtChange(r.change)}${r.regression ? ' !' : ''}`,
    fmt(r.limit),
    r.ratio === null ? '—' : r.ratio.toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}
