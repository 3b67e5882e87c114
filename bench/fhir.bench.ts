/**
 * fhir.audit.page: one searchset page of a patient's AuditEvents (`_count` 50, chain order) taken
 * at random depths of histories of different lengths, through the facade's search path in process
 * (index pages merged over the patient's three indexes, joined and mapped to BALP-shaped
 * AuditEvents; no HTTP). The claim: page time does not grow with history length, because a page
 * resumes at its index cursor. Reports pages/s on the longest history, each history's mean page
 * time, and `growth` = longest mean / shortest mean (about 1 when flat).
 * Flags: --histories 1000,20000 (ACCESS txs per history), --seconds 3 (per history), --count 50.
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
  const load0 = loadavg()[0] as number;
  const per: { history: number; entries: number; pages_per_s: number; page_ms: number }[] = [];
  for (const n of sizes) {
    const t0 = Date.now();
    const h = await buildHistory(n);
    ctx.log(`history of ${n} accesses built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    try {
      const facade = new FhirFacade(h.api, { chainId: 'bench', node: 'bench' });
      const query = `patient=${to0x(h.patient)}&_count=${count}`;
      const url = () => 'x';
      // Walk the whole history once to collect every page token (and check the count).
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
      const ops = await opsPerSecond(
        () => facade.search(searches[rng.below(searches.length)] as (typeof searches)[number], url, ''),
        1,
        seconds * 1000,
      );
      per.push({ history: n, entries, pages_per_s: round(ops), page_ms: round(1000 / ops, 3) });
      ctx.log(
        `history ${n}: ${entries} events, ${tokens.length} pages, ${round(ops)} pages/s, ${round(1000 / ops, 3)} ms/page`,
      );
    } finally {
      await h.close();
    }
  }
  const first = per[0] as (typeof per)[number];
  const last = per[per.length - 1] as (typeof per)[number];
  return {
    id: 'fhir.audit.page',
    ops_per_s: last.pages_per_s,
    page_ms: last.page_ms,
    growth: round(last.page_ms / first.page_ms, 2),
    count,
    histories: per,
    load_avg: [round(load0, 2), round(loadavg()[0] as number, 2)],
  };
}

export const benchmarks: Benchmark[] = [{ id: 'fhir.audit.page', run: pageBench }];
