/**
 * Baselines: bench/results/<key>.json holds the saved result of each
 * benchmark (key = id, or id + ".rate" for a latency run at a fixed rate),
 * written by `--save`. Every run prints a table against them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

export const baselineKey = (r: BenchResult): string => (r.mode === 'rate' ? `${r.id}.rate` : r.id);

export interface Saved extends BenchResult {
  saved_at?: string;
  commit?: string;
}

export function loadBaseline(key: string): Saved | undefined {
  const f = join(resultsDir(), `${key}.json`);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Saved;
  } catch {
    return undefined;
  }
}

export function loadAllBaselines(): Map<string, Saved> {
  const out = new Map<string, Saved>();
  const dir = resultsDir();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const b = loadBaseline(f.slice(0, -5));
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

export function saveBaseline(r: BenchResult): string {
  mkdirSync(resultsDir(), { recursive: true });
  const f = join(resultsDir(), `${baselineKey(r)}.json`);
  const c = commit();
  const saved: Saved = { ...r, saved_at: new Date().toISOString(), ...(c ? { commit: c } : {}) };
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
      id: r.mode === 'rate' ? `${r.id} @${r.rate}/s` : r.id,
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
