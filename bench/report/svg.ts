/** Small inline-SVG charts for the self-contained report (no scripts, no external assets). */

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (x: number): string =>
  Math.abs(x) >= 1_000_000
    ? `${+(x / 1_000_000).toFixed(2)}M`
    : Math.abs(x) >= 10_000
      ? `${Math.round(x / 1000)}k`
      : Math.abs(x) >= 1000
        ? `${(x / 1000).toFixed(1)}k`
        : `${+x.toFixed(2)}`;

/** 1, 2, 5 × 10^k ticks covering [0, max]. */
function ticks(max: number, n = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) out.push(+t.toFixed(10));
  return out;
}

export interface HLine {
  y: number;
  label: string;
  color: string;
}

interface Frame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const frame = (w: number, h: number): Frame => ({ w, h, left: 60, right: 20, top: 30, bottom: 40 });

function axes(
  f: Frame,
  title: string,
  xTicks: Array<[number, string]>,
  yMax: number,
  xLabel: string,
  yLabel: string,
): string {
  const ih = f.h - f.top - f.bottom;
  const iw = f.w - f.left - f.right;
  const y = (v: number): number => f.top + ih - (v / yMax) * ih;
  let s = `<text x="${f.left}" y="18" class="t">${esc(title)}</text>`;
  for (const t of ticks(yMax)) {
    s += `<line x1="${f.left}" x2="${f.left + iw}" y1="${y(t)}" y2="${y(t)}" class="g"/>`;
    s += `<text x="${f.left - 6}" y="${y(t) + 4}" class="yl">${fmt(t)}</text>`;
  }
  for (const [x, label] of xTicks) s += `<text x="${x}" y="${f.top + ih + 16}" class="xl">${esc(label)}</text>`;
  s += `<line x1="${f.left}" x2="${f.left + iw}" y1="${f.top + ih}" y2="${f.top + ih}" class="a"/>`;
  s += `<text x="${f.left + iw / 2}" y="${f.h - 4}" class="xl">${esc(xLabel)}</text>`;
  s += `<text x="14" y="${f.top + ih / 2}" class="xl" transform="rotate(-90 14 ${f.top + ih / 2})">${esc(yLabel)}</text>`;
  return s;
}

const wrap = (f: Frame, body: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${f.w}" height="${f.h}" viewBox="0 0 ${f.w} ${f.h}">${body}</svg>`;

/** Values per second as a line (shaded warm-up), with horizontal reference lines (limit, goal). */
export function lineChart(o: {
  title: string;
  values: number[];
  shadeUntil?: number;
  shadeFrom?: number;
  hlines?: HLine[];
  w?: number;
  h?: number;
}): string {
  const f = frame(o.w ?? 540, o.h ?? 250);
  const n = Math.max(2, o.values.length);
  const yMax = Math.max(1, ...o.values, ...(o.hlines ?? []).map((l) => l.y)) * 1.1;
  const iw = f.w - f.left - f.right;
  const ih = f.h - f.top - f.bottom;
  const x = (i: number): number => f.left + (i / (n - 1)) * iw;
  const y = (v: number): number => f.top + ih - (v / yMax) * ih;
  const xt: Array<[number, string]> = ticks(n - 1, 6).map((t) => [x(t), `${t}`]);
  let s = axes(f, o.title, xt, yMax, 'seconds since start of load', 'tx/s');
  if (o.shadeUntil !== undefined && o.shadeUntil > 0)
    s += `<rect x="${f.left}" y="${f.top}" width="${x(o.shadeUntil) - f.left}" height="${ih}" class="sh"/><text x="${f.left + 4}" y="${f.top + 12}" class="sm">warm-up</text>`;
  if (o.shadeFrom !== undefined && o.shadeFrom < n - 1)
    s += `<rect x="${x(o.shadeFrom)}" y="${f.top}" width="${f.left + iw - x(o.shadeFrom)}" height="${ih}" class="sh"/><text x="${x(o.shadeFrom) + 4}" y="${f.top + 12}" class="sm">drain</text>`;
  const pts = o.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  s += `<polyline points="${pts}" class="ln"/>`;
  for (const l of o.hlines ?? [])
    s += `<line x1="${f.left}" x2="${f.left + iw}" y1="${y(l.y)}" y2="${y(l.y)}" stroke="${l.color}" class="hl"/><text x="${f.left + iw - 4}" y="${y(l.y) - 4}" fill="${l.color}" class="hlt">${esc(l.label)}</text>`;
  return wrap(f, s);
}

export interface Series {
  label: string;
  points: Array<[number, number]>;
  color: string;
}

/**
 * A cost curve: y against a size x (validators, keys) for one or more series,
 * each point marked and the x ticks at the points' own sizes; logX for sizes
 * that span decades (100k to 10M keys).
 */
export function xyChart(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  w?: number;
  h?: number;
}): string {
  const f = frame(o.w ?? 540, o.h ?? 250);
  const iw = f.w - f.left - f.right;
  const ih = f.h - f.top - f.bottom;
  const series = o.series.filter((s) => s.points.length > 0);
  const pts = series.flatMap((s) => s.points);
  const xs = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  const tx = (v: number): number => (o.logX ? Math.log10(Math.max(v, 1e-9)) : v);
  const lo = o.logX ? tx((xs[0] ?? 1) / 1.5) : 0;
  const hi = Math.max(lo + 1e-9, o.logX ? tx((xs[xs.length - 1] ?? 1) * 1.5) : (xs[xs.length - 1] ?? 1) * 1.05);
  const yMax = Math.max(1e-9, ...pts.map((p) => p[1])) * 1.1;
  const x = (v: number): number => f.left + ((tx(v) - lo) / (hi - lo)) * iw;
  const y = (v: number): number => f.top + ih - (v / yMax) * ih;
  let s = axes(
    f,
    o.title,
    xs.map((v) => [x(v), fmt(v)]),
    yMax,
    o.xLabel,
    o.yLabel,
  );
  for (const [k, se] of series.entries()) {
    const line = se.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    s += `<polyline points="${line}" stroke="${se.color}" class="cv"/>`;
    for (const [a, b] of se.points)
      s += `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${se.color}"/>`;
    s += `<text x="${f.left + 8}" y="${f.top + 12 + 13 * k}" fill="${se.color}" class="lg">${esc(se.label)}</text>`;
  }
  return wrap(f, s);
}

/** A latency histogram (count per ms of bucket, so uneven buckets compare) with percentile and goal markers. */
export function histogram(o: {
  title: string;
  buckets: Array<[number, number]>;
  markers: Array<{ x: number; label: string; color: string }>;
  w?: number;
  h?: number;
}): string {
  const f = frame(o.w ?? 540, o.h ?? 250);
  const iw = f.w - f.left - f.right;
  const ih = f.h - f.top - f.bottom;
  const xMax = Math.max(100, ...o.buckets.map((b) => b[0]), ...o.markers.map((m) => m.x * 1.05));
  const bars: Array<{ lo: number; hi: number; d: number }> = [];
  let lo = 0;
  for (const [hi, c] of o.buckets) {
    bars.push({ lo, hi, d: c / (hi - lo) });
    lo = hi;
  }
  const dMax = Math.max(1e-9, ...bars.map((b) => b.d)) * 1.1;
  const x = (v: number): number => f.left + (v / xMax) * iw;
  const y = (v: number): number => f.top + ih - (v / dMax) * ih;
  const xt: Array<[number, string]> = ticks(xMax, 6).map((t) => [x(t), `${fmt(t)}`]);
  let s = axes(f, o.title, xt, dMax, 'submit → finalized (ms)', 'txs per ms');
  for (const b of bars)
    if (b.d > 0)
      s += `<rect x="${x(b.lo).toFixed(1)}" y="${y(b.d).toFixed(1)}" width="${Math.max(1, x(b.hi) - x(b.lo) - 0.5).toFixed(1)}" height="${(f.top + ih - y(b.d)).toFixed(1)}" class="bar"/>`;
  for (const [k, m] of o.markers.entries())
    s += `<line x1="${x(m.x)}" x2="${x(m.x)}" y1="${f.top}" y2="${f.top + ih}" stroke="${m.color}" class="hl"/><text x="${x(m.x) + 3}" y="${f.top + 12 + 12 * (k % 4)}" fill="${m.color}" class="sm">${esc(m.label)}</text>`;
  return wrap(f, s);
}

/** Horizontal bars of ratio to limit (0..1+), with a goal line. */
export function ratioBars(o: {
  title: string;
  items: Array<{ label: string; ratio: number; note: string }>;
  goal?: number;
  w?: number;
}): string {
  const rowH = 26;
  const labelW = 230;
  const f = { w: o.w ?? 760, h: 50 + o.items.length * rowH, left: labelW, right: 150, top: 30, bottom: 20 };
  const iw = f.w - f.left - f.right;
  const xMax = Math.max(1, ...o.items.map((i) => i.ratio));
  const x = (v: number): number => f.left + (v / xMax) * iw;
  let s = `<text x="10" y="18" class="t">${esc(o.title)}</text>`;
  for (const t of ticks(xMax, 5))
    s += `<line x1="${x(t)}" x2="${x(t)}" y1="${f.top}" y2="${f.h - f.bottom}" class="g"/><text x="${x(t)}" y="${f.h - 6}" class="xl">${fmt(t)}</text>`;
  for (const [k, it] of o.items.entries()) {
    const yy = f.top + k * rowH;
    const cls = o.goal !== undefined && it.ratio < o.goal ? 'bar bad' : 'bar';
    s += `<text x="${f.left - 8}" y="${yy + 16}" class="yl">${esc(it.label)}</text>`;
    s += `<rect x="${f.left}" y="${yy + 4}" width="${Math.max(1, x(it.ratio) - f.left).toFixed(1)}" height="${rowH - 8}" class="${cls}"/>`;
    s += `<text x="${x(it.ratio) + 6}" y="${yy + 16}" class="sm">${esc(it.note)}</text>`;
  }
  if (o.goal !== undefined)
    s += `<line x1="${x(o.goal)}" x2="${x(o.goal)}" y1="${f.top - 4}" y2="${f.h - f.bottom}" stroke="#c0392b" class="hl"/><text x="${x(o.goal) + 3}" y="${f.top - 6}" fill="#c0392b" class="sm">goal ${o.goal}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.w}" height="${f.h}" viewBox="0 0 ${f.w} ${f.h}">${s}</svg>`;
}

export const CHART_CSS = `
svg { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; margin: 6px 10px 10px 0; }
svg .t { font: 600 13px system-ui, sans-serif; fill: #222; }
svg .xl { font: 11px system-ui, sans-serif; fill: #555; text-anchor: middle; }
svg .yl { font: 11px system-ui, sans-serif; fill: #555; text-anchor: end; }
svg .sm { font: 11px system-ui, sans-serif; fill: #333; }
svg .g { stroke: #eee; }
svg .a { stroke: #999; }
svg .ln { fill: none; stroke: #2471a3; stroke-width: 2; }
svg .cv { fill: none; stroke-width: 2; }
svg .hl { stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .hlt { font: 11px system-ui, sans-serif; text-anchor: end; }
svg .lg { font: 600 11px system-ui, sans-serif; }
svg .sh { fill: #f4f4f4; }
svg .bar { fill: #5499c7; }
svg .bar.bad { fill: #e59866; }
`;
