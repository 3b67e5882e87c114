/**
 * Summaries of V8 `.cpuprofile` files (node --cpu-prof): self time by
 * function, total (inclusive) time of project functions, and self time by
 * area (GC, idle, node internals, each dependency, each project directory).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  self: Array<{ fn: string; ms: number; pct: number }>;
  inclusive: Array<{ fn: string; ms: number; pct: number }>;
  areas: Array<{ area: string; ms: number; pct: number }>;
}

const shortUrl = (url: string): string => {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 13);
  const m = /\/(?:dist[^/]*)\/(.*)$/.exec(url);
  if (m) return m[1] as string;
  return url.replace(/^file:\/\//, '');
};

const fnKey = (n: ProfileNode): string => {
  const f = n.callFrame;
  const name = f.functionName || '(anonymous)';
  return f.url === '' ? name : `${name} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
};

function area(n: ProfileNode): string {
  const { url, functionName } = n.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 13).split('/');
    return (parts[0] as string).startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  }
  const m = /\/(?:dist[^/]*)\/(.*)\/[^/]+$/.exec(url);
  return m ? `medchain ${m[1]}` : url;
}

/**
 * `range` keeps only samples taken between those ms after the profile
 * started (the process start, within tens of ms): the measured window.
 */
export function summarizeProfile(file: string, top: number, range?: [number, number]): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    t += d;
    if (range !== undefined && (t / 1000 < range[0] || t / 1000 > range[1])) continue;
    const id = p.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + d);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id) as ProfileNode;
    self.set(fnKey(n), (self.get(fnKey(n)) ?? 0) + us);
    areas.set(area(n), (areas.get(area(n)) ?? 0) + us);
  }
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur) as ProfileNode;
      if (n.callFrame.url === '' || n.callFrame.url.includes('node_modules') || n.callFrame.url.startsWith('node:'))
        continue;
      const k = fnKey(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const rank = <K extends string>(m: Map<string, number>, key: K, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, us]) =>
          ({ [key]: k, ms: Math.round(us / 1000), pct: Math.round((us / total) * 1000) / 10 }) as {
            [P in K]: string;
          } & { ms: number; pct: number },
      );
  return {
    file,
    totalMs: Math.round(total / 1000),
    self: rank(self, 'fn', top),
    inclusive: rank(inclusive, 'fn', top),
    areas: rank(areas, 'area', top),
  };
}

/** Human lines for the log. */
export function summarizeProfiles(dir: string, files: string[], top: number, range?: [number, number]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const s = summarizeProfile(join(dir, f), top, range);
    out.push(`== ${f}: ${s.totalMs.toLocaleString('en-US')} ms sampled`);
    out.push('-- self time by area');
    for (const a of s.areas.slice(0, 15)) out.push(`${String(a.pct).padStart(5)}%  ${a.ms} ms  ${a.area}`);
    out.push('-- self time by function');
    for (const a of s.self) out.push(`${String(a.pct).padStart(5)}%  ${a.ms} ms  ${a.fn}`);
    out.push('-- total time of medchain functions');
    for (const a of s.inclusive) out.push(`${String(a.pct).padStart(5)}%  ${a.ms} ms  ${a.fn}`);
  }
  return out;
}

// `node profile.js <file.cpuprofile> [top]`: summarize one profile.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const [file, top] = process.argv.slice(2);
  if (file !== undefined)
    for (const l of summarizeProfiles('.', [file], Number(top ?? 30))) process.stdout.write(`${l}\n`);
}
