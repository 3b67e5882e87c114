/**
 * `npm run bench -- --report [file]`: one self-contained HTML file (inline
 * SVG, no scripts) with the performance goals (goals.ts), how cost grows with
 * validators and state (curves.ts), the e2e throughput over time, the
 * latency distributions and the benchmarks against their limits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import type { BenchResult } from '../types.js';
import { type Row, rows, type Saved } from './baseline.js';
import { curvesSection } from './curves.js';
import { GOALS, judgeGoals } from './goals.js';
import { CHART_CSS, histogram, lineChart, ratioBars } from './svg.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n0 = (x: unknown): string =>
  typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 0 }) : '—';
/** A field that should be an array, as one (a hand-edited result must not break the report). */
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const n2 = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(2) : '—');

interface Entry {
  key: string;
  r: Saved;
  base: Saved | undefined;
  fresh: boolean;
}

function goalsTable(list: BenchResult[]): string {
  const mark = (ok: boolean | null): string =>
    ok === null
      ? '<span class="na">no result</span>'
      : ok
        ? '<span class="ok">met</span>'
        : '<span class="bad">not met</span>';
  const lines = judgeGoals(list).map(
    (g) => `<tr><td>${esc(g.label)}</td><td>${mark(g.ok)}</td><td>${esc(g.detail)}</td></tr>`,
  );
  return `<table class="goals"><tr><th>goal</th><th></th><th>measured</th></tr>${lines.join('')}</table>`;
}

function e2eSection(e: Entry): string {
  const r = e.r;
  const name = `${r.id}${typeof r.validators === 'number' ? `, ${r.validators} validator${r.validators === 1 ? '' : 's'}` : ''}`;
  const series = r.series as { finalized_per_s?: number[]; warmup_s?: number } | undefined;
  const per = arr(series?.finalized_per_s) as number[];
  const hlines = [];
  if (typeof r.limit_ops_per_s === 'number')
    hlines.push({ y: r.limit_ops_per_s, label: `verify limit ${n0(r.limit_ops_per_s)}`, color: '#7d3c98' });
  const goalRatio = r.id === 'e2e.single' ? GOALS.singleRatio : GOALS.devnetRatio;
  if (r.mode !== 'rate' && typeof r.limit_ops_per_s === 'number')
    hlines.push({
      y: goalRatio * r.limit_ops_per_s,
      label: `goal ${goalRatio} × limit`,
      color: '#c0392b',
    });
  if (r.mode === 'rate' && typeof r.rate === 'number')
    hlines.push({ y: r.rate, label: `offered ${n0(r.rate)}/s`, color: '#27ae60' });
  const warm = series?.warmup_s ?? 0;
  const line = lineChart({
    title: `${name}${r.mode === 'rate' ? ` at ${n0(r.rate)} tx/s` : ' (saturation)'}: finalized tx/s over time`,
    values: per,
    shadeUntil: warm,
    shadeFrom: warm + (typeof r.seconds === 'number' ? r.seconds : per.length),
    hlines,
  });
  const markers = [
    { x: Number(r.p50_ms ?? 0), label: `p50 ${n0(r.p50_ms)} ms`, color: '#1e8449' },
    { x: Number(r.p95_ms ?? 0), label: `p95 ${n0(r.p95_ms)} ms`, color: '#b9770e' },
    { x: Number(r.p99_ms ?? 0), label: `p99 ${n0(r.p99_ms)} ms`, color: '#c0392b' },
  ].filter((m) => m.x > 0);
  if (r.mode === 'rate') {
    markers.push({ x: GOALS.rateP50Ms, label: 'goal p50', color: '#888' });
    markers.push({ x: GOALS.rateP99Ms, label: 'goal p99', color: '#888' });
  } else if (r.id === 'e2e.single') markers.push({ x: GOALS.singleP99Ms, label: 'goal p99', color: '#888' });
  const hist = histogram({
    title: `${name}: submit → finality latency (WS finalized events)`,
    buckets: arr(r.latency_hist) as Array<[number, number]>,
    markers,
  });
  const procs = arr(r.processes).filter(
    (p): p is { name?: string; cpu_pct?: number; rss_mb?: number } => typeof p === 'object' && p !== null,
  );
  const m = r.machine as { cpu?: string; cores?: number; loadavg?: number[] } | undefined;
  const facts = [
    ['finalized tx/s', n0(r.ops_per_s)],
    ['verify limit / ratio', `${n0(r.limit_ops_per_s)} / ${n2(r.ratio)}`],
    ['p50 / p95 / p99 ms', `${n0(r.p50_ms)} / ${n0(r.p95_ms)} / ${n0(r.p99_ms)}`],
    ['validators, seconds', `${r.validators}, ${r.seconds} s`],
    [
      'state',
      `${n0((r.state as { patients?: number })?.patients)} patients, ${n0((r.state as { practitioners?: number })?.practitioners)} practitioners`,
    ],
    ['height', n0(r.height)],
    ['per process CPU % / RSS MB', procs.map((p) => `${p.name} ${n0(p.cpu_pct)}% / ${n0(p.rss_mb)}`).join(', ')],
    ['load average (end)', arr(m?.loadavg).join(' ')],
    ['receipts sampled', JSON.stringify(r.receipts ?? {})],
    ['saved', `${r.saved_at ?? (e.fresh ? 'this run' : '')}${r.commit ? ` @ ${r.commit}` : ''}`],
  ];
  return `<section><h2>${esc(name)}${r.mode === 'rate' ? ` at ${n0(r.rate)} tx/s` : ' (saturation)'}${e.fresh ? ' <small>this run</small>' : ''}</h2>
<div class="charts">${line}${hist}</div>
<table class="facts">${facts.map(([k, v]) => `<tr><th>${esc(k as string)}</th><td>${esc(v as string)}</td></tr>`).join('')}</table></section>`;
}

function profileSection(entries: Entry[]): string {
  const withProf = entries.filter((e) => e.r.profile !== undefined);
  if (withProf.length === 0) return '';
  let s = '<section><h2>Where a validator spends its time (node --cpu-prof)</h2>';
  for (const e of withProf) {
    const p = e.r.profile as { file: string; totalMs: number; areas: Array<{ area: string; pct: number; ms: number }> };
    s += ratioBars({
      title: `${e.r.id}: ${p.file}, self time by area (${n0(p.totalMs)} ms sampled)`,
      items: p.areas
        .slice(0, 12)
        .map((a) => ({ label: a.area, ratio: a.pct / 100, note: `${a.pct}% · ${n0(a.ms)} ms` })),
    });
  }
  return `${s}</section>`;
}

function tableHtml(all: Row[]): string {
  const f = (x: number | null, d = 0): string =>
    x === null ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const body = all
    .map(
      (r) =>
        `<tr${r.regression ? ' class="reg"' : ''}><td>${esc(r.id)}</td><td>${esc(r.figure)}</td><td>${f(r.value)}</td><td>${f(r.baseline)}</td><td>${r.change === null ? '—' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%`}</td><td>${f(r.limit)}</td><td>${r.ratio === null ? '—' : r.ratio.toFixed(2)}</td></tr>`,
    )
    .join('');
  return `<table class="runs"><tr><th>id</th><th>figure</th><th>value</th><th>baseline</th><th>change</th><th>limit</th><th>ratio</th></tr>${body}</table>`;
}

/** Builds the report from this run's results over the saved baselines. */
export function buildReport(fresh: Map<string, BenchResult>, baselines: Map<string, Saved>): string {
  const keys = [...new Set([...baselines.keys(), ...fresh.keys()])].sort();
  const entries: Entry[] = keys.map((key) => {
    const f = fresh.get(key);
    const base = baselines.get(key);
    return { key, r: (f ?? base) as Saved, base: f ? base : undefined, fresh: f !== undefined };
  });
  const e2e = entries.filter((e) => e.r.id.startsWith('e2e.'));
  const limited = entries.filter((e) => typeof e.r.ratio === 'number');
  const bars = ratioBars({
    title: 'Benchmarks against the physical limit measured in the same run (ratio; 1 = the limit)',
    items: limited.map((e) => ({
      label: e.key,
      ratio: e.r.ratio as number,
      note: `${n2(e.r.ratio)} · ${n0(e.r.ops_per_s)} of ${n0(e.r.limit_ops_per_s)}/s`,
    })),
    goal: GOALS.devnetRatio,
  });
  const allRows = entries.flatMap((e) => rows(e.r, e.base));
  const m = e2e[0]?.r.machine as { cpu?: string; cores?: number; node?: string } | undefined;
  const machine = `${m?.cpu ?? cpus()[0]?.model ?? '?'}, ${m?.cores ?? availableParallelism()} cores, Node ${m?.node ?? process.version}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>MedChain benchmarks</title><style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 26px 0 6px; } small { color: #888; font-weight: normal; }
table { border-collapse: collapse; margin: 6px 0 10px; background: #fff; }
td, th { border: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; font-size: 13px; }
table.runs td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; }
tr.reg td { background: #fdecea; }
.ok { color: #1e8449; font-weight: 600; } .bad { color: #c0392b; font-weight: 600; } .na { color: #888; }
.charts { display: flex; flex-wrap: wrap; } table.facts th { font-weight: normal; color: #555; }
h3 { font-size: 15px; margin: 18px 0 4px; } p.bounds { max-width: 900px; color: #333; }
pre { background: #fff; border: 1px solid #e3e3e3; padding: 6px 10px; font-size: 12px; }
table.curve td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
${CHART_CSS}</style></head><body>
<h1>MedChain benchmarks</h1>
<div>${esc(machine)} · generated ${esc(new Date().toISOString())} · load average now ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}</div>
<h2>Performance goals (this 2-core machine)</h2>${goalsTable(entries.map((e) => e.r))}
${curvesSection(entries.map((e) => e.r))}
${e2e.map(e2eSection).join('\n')}
<section><h2>Against the limits</h2>${bars}</section>
${profileSection(entries)}
<section><h2>All figures</h2>${tableHtml(allRows)}</section>
</body></html>
`;
}

export function writeReport(file: string, html: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
}
