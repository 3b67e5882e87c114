#!/usr/bin/env node
/**
 * `npm run bench -- [ids...] [--json] [--save] [--report [file]] [--flag value ...]`
 * Benchmarks live in bench/*.bench.ts, each exporting `benchmarks: Benchmark[]`.
 * An id selects exact matches or a prefix ("state." runs all state benchmarks).
 * Every run ends with a table against the baselines in bench/results/ (stderr);
 * --save makes this run's results the baselines (bench/results/<key>.json, the
 * key carrying the size when it is not the default: report/baseline.ts);
 * --report writes an HTML
 * report (default bench/results/report.html) from this run over the baselines
 * (--report without ids runs nothing and renders the baselines).
 * --against <git ref> [--rounds n] alternates this build and <ref>'s in one
 * session and prints the same-run ratio (bench/against.ts).
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildRef, childRunner, parseAgainst, runAgainst } from './against.js';
import {
  baselineKey,
  loadAllBaselines,
  repoRoot,
  resultsDir,
  runRows,
  saveBaseline,
  table,
} from './report/baseline.js';
import { buildReport, writeReport } from './report/html.js';
import type { Benchmark, BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

async function loadAll(): Promise<Benchmark[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js')).sort();
  const all: Benchmark[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { benchmarks?: Benchmark[] };
    all.push(...(mod.benchmarks ?? []));
  }
  return all;
}

function parseArgs(argv: string[]): { ids: string[]; flags: Record<string, string | boolean> } {
  const ids: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const name = a.slice(2);
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        flags[name] = next;
        i++;
      } else flags[name] = true;
    } else ids.push(a);
  }
  return { ids, flags };
}

function select(all: Benchmark[], ids: string[]): Benchmark[] {
  if (ids.length === 0) return all.filter((b) => b.default !== false);
  const out: Benchmark[] = [];
  for (const id of ids) {
    // An id, or a group by prefix: `vault.get` or `vault.get.` runs vault.get.4k and vault.get.1m.
    const group = id.endsWith('.') ? id : `${id}.`;
    const hits = all.filter((b) => b.id === id || b.id.startsWith(group));
    if (hits.length === 0) throw new Error(`unknown benchmark id: ${id} (known: ${all.map((b) => b.id).join(', ')})`);
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

async function main(): Promise<void> {
  const against = parseAgainst(process.argv.slice(2));
  if (against !== undefined) {
    const log = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const root = repoRoot();
    const old = buildRef(root, against.ref, log);
    const out = await runAgainst(against, childRunner({ old, new: root }), log);
    for (const c of out) process.stdout.write(`${JSON.stringify({ ...c, against: against.ref })}\n`);
    return;
  }
  const { ids, flags } = parseArgs(process.argv.slice(2));
  // `--report` takes an optional file: a value that is not an .html/.svg path is an id.
  if (typeof flags.report === 'string' && !/\.(html|svg)$/.test(flags.report)) {
    ids.push(flags.report);
    flags.report = true;
  }
  const all = await loadAll();
  if (flags.list) {
    for (const b of all) process.stdout.write(`${b.id}\n`);
    return;
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const results: BenchResult[] = [];
  const reportOnly = flags.report !== undefined && ids.length === 0;
  for (const b of reportOnly ? [] : select(all, ids)) {
    log(`# ${b.id}`);
    const r = await b.run({ flags, log });
    results.push(r);
    if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      log(
        `${r.id}: ${Math.round(r.ops_per_s).toLocaleString('en-US')} ops/s${r.ratio !== undefined ? ` (ratio ${r.ratio})` : ''}`,
      );
  }
  if (results.length > 0) log(`\n${table(runRows(results))}`);
  if (flags.save) for (const r of results) log(`saved baseline ${saveBaseline(r)}`);
  if (flags.report !== undefined) {
    const file = typeof flags.report === 'string' ? flags.report : join(resultsDir(), 'report.html');
    writeReport(file, buildReport(new Map(results.map((r) => [baselineKey(r), r])), loadAllBaselines()));
    log(`report: ${file}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
