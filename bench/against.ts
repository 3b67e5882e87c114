/**
 * `npm run bench -- <ids...> --against <git ref> [--rounds n] [--fields a,b] [flags...]`
 * Runs the same benchmarks on this build and on <ref> in one session,
 * alternating the two (old,new then new,old: drift in the machine's load
 * falls on both alike), and prints each round's figures, the new/old ratio
 * and its median. Figures from another machine or hour mislead; a same-run
 * ratio does not. Each run is a child process of the build being measured,
 * so neither build's modules, JIT state or heap leak into the other's.
 * The ref is built once per commit in the temp dir (git archive + tsc, with
 * this checkout's node_modules symlinked) and reused by later comparisons.
 * `--keep <file>` writes every run's whole results (JSON lines, with the build,
 * round and load), so a note can quote limits, blocks and latencies, not only
 * the compared figures.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fieldAt } from './measure.js';
import type { BenchResult } from './types.js';

export type Build = 'old' | 'new';

export interface AgainstOptions {
  ref: string;
  rounds: number;
  /** Further numeric figures to compare besides ops/s (e.g. p99_ms, max_round). */
  fields: string[];
  /** The arguments every child run gets: the ids and the other flags, plus --json. */
  childArgs: string[];
  /** A file to receive every run's whole results, one JSON line per run. */
  keep?: string;
}

const MAX_ROUNDS = 50;
/** Flags that make no sense for a comparison (they write baselines or reports of one build). */
const REFUSED = ['--save', '--report', '--list'];

/** Undefined when argv has no --against; throws on a malformed comparison. */
export function parseAgainst(argv: string[]): AgainstOptions | undefined {
  const i = argv.indexOf('--against');
  if (i < 0) return undefined;
  const ref = argv[i + 1];
  if (ref === undefined || ref.startsWith('--')) throw new Error('--against needs a git ref (a commit, branch or tag)');
  const rest = [...argv.slice(0, i), ...argv.slice(i + 2)];
  let rounds = 3;
  const r = rest.indexOf('--rounds');
  if (r >= 0) {
    const v = rest[r + 1] ?? '';
    if (!/^[1-9][0-9]*$/.test(v) || Number(v) > MAX_ROUNDS)
      throw new Error(`--rounds must be an integer from 1 to ${MAX_ROUNDS}`);
    rounds = Number(v);
    rest.splice(r, 2);
  }
  let fields: string[] = [];
  const f = rest.indexOf('--fields');
  if (f >= 0) {
    const v = rest[f + 1] ?? '';
    if (!/^[a-z0-9_.]+(,[a-z0-9_.]+)*$/.test(v) || /(^|[,.])\.|\.($|,)/.test(v))
      throw new Error('--fields takes result names (a.b for nested ones) separated by commas');
    fields = v.split(',');
    rest.splice(f, 2);
  }
  let keep: string | undefined;
  const k = rest.indexOf('--keep');
  if (k >= 0) {
    keep = rest[k + 1];
    if (keep === undefined || keep.startsWith('--')) throw new Error('--keep needs a file');
    rest.splice(k, 2);
  }
  for (const f of REFUSED) if (rest.includes(f)) throw new Error(`${f} cannot be combined with --against`);
  if (rest.includes('--against')) throw new Error('--against may be given once');
  // An id is a bare word that is not the value of the flag before it.
  const ids = rest.filter((a, k) => !a.startsWith('--') && (k === 0 || !(rest[k - 1] as string).startsWith('--')));
  if (ids.length === 0) throw new Error('--against needs at least one benchmark id');
  const childArgs = rest.filter((a) => a !== '--json');
  childArgs.push('--json');
  return { ref, rounds, fields, childArgs, ...(keep !== undefined ? { keep } : {}) };
}

/** The run order: round k runs old then new when k is even, new then old when odd. */
export function schedule(rounds: number): Build[] {
  const out: Build[] = [];
  for (let k = 0; k < rounds; k++) out.push(...(k % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const)));
  return out;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface Comparison {
  id: string;
  /** Per --fields name: the median of each build's figures (null where a run lacks it). */
  fields?: Record<string, { old: number | null; new: number | null }>;
  old: number[];
  new: number[];
  /** new/old per round, in round order. */
  ratios: number[];
  median_ratio: number;
}

const numbers = (rs: BenchResult[], f: string): number[] =>
  rs.map((r) => fieldAt(r, f)).filter((v): v is number => v !== undefined);

/** Pairs the runs of each benchmark round by round (one result per id per run). */
export function compare(runs: { build: Build; results: BenchResult[] }[], fields: string[] = []): Comparison[] {
  const byId = new Map<string, { old: number[]; new: number[] }>();
  for (const run of runs)
    for (const r of run.results) {
      let e = byId.get(r.id);
      if (e === undefined) {
        e = { old: [], new: [] };
        byId.set(r.id, e);
      }
      e[run.build].push(r.ops_per_s);
    }
  const out: Comparison[] = [];
  for (const [id, e] of byId) {
    const n = Math.min(e.old.length, e.new.length);
    const ratios = Array.from({ length: n }, (_, k) => (e.new[k] as number) / (e.old[k] as number));
    const c: Comparison = { id, old: e.old, new: e.new, ratios, median_ratio: median(ratios) };
    if (fields.length > 0) {
      c.fields = {};
      for (const f of fields) {
        const of = (b: Build): number | null => {
          const xs = numbers(
            runs.filter((r) => r.build === b).flatMap((r) => r.results.filter((x) => x.id === id)),
            f,
          );
          return xs.length === 0 ? null : median(xs);
        };
        c.fields[f] = { old: of('old'), new: of('new') };
      }
    }
    out.push(c);
  }
  return out;
}

export type Runner = (build: Build, args: string[]) => Promise<BenchResult[]>;

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Alternates the two builds per schedule(); logs every run and a summary line per id. */
export async function runAgainst(opts: AgainstOptions, run: Runner, log: (l: string) => void): Promise<Comparison[]> {
  const runs: { build: Build; results: BenchResult[] }[] = [];
  log(`# --against ${opts.ref}: ${opts.rounds} rounds, load ${load()}`);
  if (opts.keep !== undefined) writeFileSync(opts.keep, '');
  for (const [i, build] of schedule(opts.rounds).entries()) {
    const loadStart = load();
    const results = await run(build, opts.childArgs);
    if (results.length === 0) throw new Error(`the ${build} build printed no result`);
    runs.push({ build, results });
    if (opts.keep !== undefined) {
      const line = { ref: opts.ref, build, round: i >> 1, load_start: loadStart, load_end: load(), results };
      appendFileSync(opts.keep, `${JSON.stringify(line)}\n`);
    }
    for (const r of results) log(`  ${build} ${r.id}: ${fmt(r.ops_per_s)} ops/s`);
  }
  const out = compare(runs, opts.fields);
  log(`# load at the end ${load()}`);
  for (const c of out)
    log(
      `${c.id}: old ${c.old.map(fmt).join(' / ')}  new ${c.new.map(fmt).join(' / ')}  ` +
        `ratio new/old ${c.ratios.map((r) => r.toFixed(3)).join(' ')} median ${c.median_ratio.toFixed(3)}` +
        Object.entries(c.fields ?? {})
          .map(([f, v]) => `\n  ${f}: median old ${v.old ?? '-'} new ${v.new ?? '-'}`)
          .join(''),
    );
  return out;
}

/** Parses the --json lines of a bench run (other lines are progress). */
export function parseResults(stdout: string): BenchResult[] {
  const out: BenchResult[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line) as BenchResult;
    if (typeof r.id === 'string' && typeof r.ops_per_s === 'number') out.push(r);
  }
  return out;
}

/** One child run of `root`'s dist/bench/run.js; stderr passes through. */
export function childRunner(roots: Record<Build, string>): Runner {
  return (build, args) =>
    new Promise((resolve, reject) => {
      const root = roots[build];
      const p = spawn(process.execPath, [join(root, 'dist', 'bench', 'run.js'), ...args], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      p.on('error', reject);
      p.on('exit', (code) => {
        if (code !== 0) reject(new Error(`the ${build} build's run exited with ${code}`));
        else resolve(parseResults(stdout));
      });
    });
}

/** Builds `ref` of the repository at `repo` in the temp dir (once per commit); returns its root. */
export function buildRef(repo: string, ref: string, log: (l: string) => void): string {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: repo, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `medchain-against-${sha.slice(0, 12)}`);
  const done = join(dir, '.built');
  if (existsSync(done)) {
    log(`# ${ref} = ${sha.slice(0, 12)}: reusing ${dir}`);
    return dir;
  }
  log(`# building ${ref} = ${sha.slice(0, 12)} in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // git archive: the ref's tree without a worktree entry in the shared repository.
  const tar = execFileSync('git', ['archive', '--format=tar', sha], { cwd: repo, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
    cwd: dir,
    stdio: 'inherit',
  });
  writeFileSync(done, `${sha}\n`);
  return dir;
}
