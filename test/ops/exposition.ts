/**
 * A strict parser of the Prometheus text exposition format (0.0.4), enough to check what a
 * scraper would accept: HELP/TYPE lines, sample syntax, label escaping, float values, samples
 * belonging to a declared family, histogram buckets cumulative and ending at +Inf = _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', ''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  untyped: [''],
};

/** As Prometheus parses values (Go's ParseFloat): Inf and NaN in any case (prom-client writes `Nan`). */
function parseValue(v: string, line: string): number {
  const l = v.toLowerCase();
  if (l === '+inf' || l === 'inf') return Number.POSITIVE_INFINITY;
  if (l === '-inf') return Number.NEGATIVE_INFINITY;
  if (l === 'nan') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`bad value in: ${line}`);
  return Number(v);
}

function parseLabels(s: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name) || name in out) throw new Error(`bad label name ${name} in: ${line}`);
    if (s[eq + 1] !== '"') throw new Error(`unquoted label in: ${line}`);
    let j = eq + 2;
    let val = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') val += '\n';
        else if (n === '\\' || n === '"') val += n;
        else throw new Error(`bad escape in: ${line}`);
      } else val += s[j];
    }
    if (s[j] !== '"') throw new Error(`unterminated label in: ${line}`);
    out[name] = val;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`bad label separator in: ${line}`);
  }
  return out;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (m === null) continue; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'TYPE') {
        if (rest === undefined || !(rest in SUFFIXES)) throw new Error(`bad type: ${line}`);
        if (types.has(name)) throw new Error(`duplicate TYPE: ${line}`);
        types.set(name, rest);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    const [, name, labels, value] = m as unknown as [string, string, string | undefined, string];
    const family = [...types.keys()].find((f) =>
      (SUFFIXES[types.get(f) as string] ?? []).some((suf) => name === f + suf),
    );
    if (family === undefined) throw new Error(`sample without a TYPE: ${line}`);
    samples.push({ name, labels: labels ? parseLabels(labels, line) : {}, value: parseValue(value, line) });
  }
  checkHistograms(types, samples);
  return { types, samples };
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples) {
      if (s.name !== `${family}_bucket`) continue;
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const k = JSON.stringify(rest);
      series.set(k, [...(series.get(k) ?? []), s]);
    }
    for (const [k, buckets] of series) {
      let prev = -1;
      for (const b of buckets) {
        if (b.value < prev) throw new Error(`${family} buckets not cumulative`);
        prev = b.value;
      }
      const last = buckets[buckets.length - 1];
      if (last?.labels.le !== '+Inf') throw new Error(`${family} has no +Inf bucket`);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === k);
      if (count?.value !== last.value) throw new Error(`${family} +Inf bucket differs from _count`);
    }
  }
}

/** The value of one sample (labels must match exactly the given subset), or undefined. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
