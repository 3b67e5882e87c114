/**
 * fhir.audit.page: one searchset page of a patient's AuditEvents (`_count` 50, chain order) taken
 * at random depths of histories of different lengths, through the facade's search path in process
 * (index pages merged over the patient's three indexes, joined and mapped to BALP-shaped
 * AuditEvents; no HTTP). The claim: page time does not grow with history length, because a page
 * resumes at its index cursor. Reports pages/s on the longest history, each history's mean page
 * time (median over interleaved rounds), and `growth` = longest / shortest (about 1 when flat).
 * Flags: --per-block 100 (txs per block: one block's entries of a patient are decoded together),
 * --histories 1000,20000 (ACCESS txs per history), --seconds 3 (about, per history; rounds of 0.5 s), --count 50.
 */
import { loadavg } from 'node:os';
import { to0x } from '../src/codec/bytes.js';
import { FhirFacade } from '../src/fhir/index.js';
import { parseSearch } from '../src/fhir/search.js';
import { buildHistory } from './fhir-history.js';
import { Prng } from './fixtures.js';
import { opsPerSecond, round } from './measure.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

const LIMITS = { maxQueryBytes: 2048, defaultCount: 50, maxCount: 200 };

async function pageBench(ctx: BenchContext): Promise<BenchResult> {
  const f = ctx.flags;
  const sizes = (typeof f.histories === 'string' ? f.histories : '1000,20000').split(',').map(Number);
  const seconds = typeof f.seconds === 'string' ? Number(f.seconds) : 3;
  const count = typeof f.count === 'string' ? Number(f.count) : 50;
  const perBlock = typeof f['per-block'] === 'string' ? Number(f['per-block']) : 100;
  const load0 = loadavg()[0] as number;
  // Build every history first, then measure them in interleaved rounds: on a shared machine the
  // load changes by the minute, and interleaving gives each history the same conditions.
  const runs: {
    n: number;
    entries: number;
    pages: number;
    next: () => Promise<unknown>;
    ms: number[];
    close: () => Promise<void>;
  }[] = [];
  try {
    for (const n of sizes) {
      const t0 = Date.now();
      const h = await buildHistory(n, 20, perBlock);
      ctx.log(`history of ${n} accesses built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const facade = new FhirFacade(h.api, { chainId: 'bench', node: 'bench' });
      const query = `patient=${to0x(h.patient)}&_count=${count}`;
      // Walk the whole history once to collect every page token (and count the events).
      const tokens: (string | null)[] = [null];
      let entries = 0;
      for (;;) {
        const tok = tokens[tokens.length - 1] as string | null;
        const b = await facade.search(
          parseSearch('AuditEvent', tok === null ? query : `${query}&_page=${tok}`, LIMITS),
          (p) => p ?? '',
          '',
        );
        entries += b.entry?.length ?? 0;
        const next = b.link?.find((l) => l.relation === 'next')?.url;
        if (next === undefined || next === '') break;
        tokens.push(next);
      }
      const rng = new Prng(n);
      const searches = tokens.map((t) => parseSearch('AuditEvent', t === null ? query : `${query}&_page=${t}`, LIMITS));
      runs.push({
        n,
        entries,
        pages: tokens.length,
        next: () => facade.search(searches[rng.below(searches.length)] as (typeof searches)[number], () => '', ''),
        ms: [],
        close: () => h.close(),
      });
    }
    const rounds = Math.max(3, Math.round(seconds * 2));
    for (let r = 0; r < rounds; r++) for (const run of runs) run.ms.push(1000 / (await opsPerSecond(run.next, 1, 500)));
  } finally {
    for (const run of runs) await run.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const per = runs.map((run) => {
    const m = median(run.ms);
    ctx.log(`history ${run.n}: ${run.entries} events, ${run.pages} pages, median ${round(m, 3)} ms/page`);
    return { history: run.n, entries: run.entries, pages_per_s: round(1000 / m), page_ms: round(m, 3) };
  });
  const first = per[0] as (typeof per)[number];
  const last = per[per.length - 1] as (typeof per)[number];
  return {
    id: 'fhir.audit.page',
    ops_per_s: last.pages_per_s,
    page_ms: last.page_ms,
    growth: round(last.page_ms / first.page_ms, 2),
    count,
    per_block: perBlock,
    histories: per,
    load_avg: [round(load0, 2), round(loadavg()[0] as number, 2)],
  };
}

export const benchmarks: Benchmark[] = [{ id: 'fhir.audit.page', run: pageBench }];
