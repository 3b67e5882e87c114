/**
 * The HTML report from a temporary results dir of fake saved results: issue
 * 18's goals judged from the fields (met, not met, no result, another size)
 * and the three scaling curves with their points in order, or the runs that
 * would draw them. Never reads or writes bench/results.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAllBaselines, repoRoot, saveBaseline } from '../../bench/report/baseline.js';
import { BOUNDS, CURVE_RUNS } from '../../bench/report/curves.js';
import { judgeGoals } from '../../bench/report/goals.js';
import { buildReport } from '../../bench/report/html.js';
import type { BenchResult } from '../../bench/types.js';

const proc = (name: string, cpu: number) => ({ name, cpu_pct: 50, cpu_ms_per_tx: cpu, rss_mb: 900 });

const devnet = (validators: number, ops: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  id: 'e2e.devnet',
  ops_per_s: ops,
  limit_ops_per_s: 1000,
  ratio: ops / 1000,
  p50_ms: 900,
  p99_ms: 2500,
  mode: 'saturation',
  rate: null,
  validators,
  blocks: { max_interval_ms: 1500, max_round: 0, committed_after_round_0: 0 },
  processes: [proc('node0', 0.2), proc('node1', 0.24), proc('loadgen', 0.9)],
  machine: { cpu: 'Fake CPU', cores: 2, node: 'v20', loadavg: [3.4, 2, 1] },
  ...extra,
});

const smt = (id: string, loaded: number, ops: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  id,
  ops_per_s: ops,
  keys: loaded + 20_000,
  loaded_keys: loaded,
  ...extra,
});

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const goal = (list: BenchResult[], start: string) => {
  const g = judgeGoals(list).find((x) => x.label.startsWith(start));
  assert.ok(g, start);
  return g as NonNullable<typeof g>;
};

test('goals: e2e.devnet at 4 validators judged from ratio, blocks and the worst validator (not the load generator)', () => {
  const ok = [devnet(4, 600)];
  assert.is(goal(ok, 'e2e.devnet, 4 validators, saturation: ratio').ok, true);
  assert.is(goal(ok, 'e2e.devnet, 4 validators: no block interval').ok, true);
  assert.is(goal(ok, 'e2e.devnet, 4 validators: no round').ok, true);
  const cpu = goal(ok, 'e2e.devnet, 4 validators: validator CPU');
  assert.is(cpu.ok, true);
  assert.match(cpu.detail, /worst 0\.24 ms \(node1\)/);

  const bad = [
    devnet(4, 300, {
      blocks: { max_interval_ms: 11_900, max_round: 1, committed_after_round_0: 1 },
      processes: [proc('node0', 0.2), proc('node1', 0.47), proc('loadgen', 0.01)],
    }),
  ];
  assert.is(goal(bad, 'e2e.devnet, 4 validators, saturation: ratio').ok, false);
  assert.match(goal(bad, 'e2e.devnet, 4 validators, saturation: ratio').detail, /0\.3: 300 of 1,000/);
  assert.is(goal(bad, 'e2e.devnet, 4 validators: no block interval').ok, false);
  assert.match(goal(bad, 'e2e.devnet, 4 validators: no block interval').detail, /11,900 ms/);
  assert.is(goal(bad, 'e2e.devnet, 4 validators: no round').ok, false);
  assert.is(goal(bad, 'e2e.devnet, 4 validators: validator CPU').ok, false);
});

test('goals: no result when missing, when the figure is absent, or when only another size was measured', () => {
  for (const g of judgeGoals([])) {
    assert.is(g.ok, null, g.label);
    assert.match(g.detail, /^no result/);
  }
  // Only a 7-validator run: the 4-validator goals are not met by it.
  const seven = [devnet(7, 900)];
  const r = goal(seven, 'e2e.devnet, 4 validators, saturation: ratio');
  assert.is(r.ok, null);
  assert.is(r.detail, 'no result at 4 validators (measured at 7)');
  // state.apply at 200k patients and state.smt at 100k keys do not count for the 1M goals.
  const small = [
    { id: 'state.apply.access', ops_per_s: 90_000, patients: 200_000, rss_mb: 400 },
    smt('state.smt.update', 100_000, 90_000),
  ];
  const access = goal(small, 'state.apply.access ≥');
  assert.is(access.ok, null);
  assert.is(access.detail, 'no result at 1,000,000 patients (measured at 200,000)');
  assert.is(goal(small, 'state.apply.access at 1M patients: RSS').ok, null);
  assert.is(goal(small, 'state.smt.update').detail, 'no result at 1,000,000 keys (measured at 100,000)');
  // A result saved before state.smt said its size is not taken for 1M keys.
  assert.is(goal([{ id: 'state.smt.prove', ops_per_s: 90_000, keys: 1_000_000 }], 'state.smt.prove').ok, null);
  // Present but without the figure.
  const noBlocks = goal([devnet(4, 600, { blocks: undefined })], 'e2e.devnet, 4 validators: no block interval');
  assert.is(noBlocks.ok, null);
  assert.match(noBlocks.detail, /no blocks\.max_interval_ms/);
  // The rate run of 7 validators is not the 4-validator latency goal.
  assert.is(goal([devnet(7, 300, { mode: 'rate', rate: 300 })], 'e2e.devnet at half').ok, null);
});

test('goals: latency at half rate, e2e.single, state and sync at their sizes', () => {
  const list: BenchResult[] = [
    devnet(4, 1000),
    devnet(4, 500, { mode: 'rate', rate: 500, p50_ms: 800, p99_ms: 3500 }),
    { id: 'e2e.single', ops_per_s: 2000, limit_ops_per_s: 18_000, ratio: 0.11, p99_ms: 600, validators: 1 },
    { id: 'state.apply.access', ops_per_s: 55_000, patients: 1_000_000, rss_mb: 1100, rss_peak_mb: 1300 },
    { id: 'state.apply.mixed', ops_per_s: 29_000, patients: 1_000_000, rss_mb: 900 },
    smt('state.smt.update', 1_000_000, 6000),
    smt('state.smt.prove', 1_000_000, 41_000),
    { id: 'p2p.sync', ops_per_s: 25_000, blocks: 10, block_txs: 5000 },
  ];
  const p50 = goal(list, 'e2e.devnet at half the saturation rate: p50');
  assert.is(p50.ok, true);
  assert.is(p50.detail, '800 ms at 500 tx/s (half the saturation figure: 500)');
  assert.is(goal(list, 'e2e.devnet at half the saturation rate: p99').ok, false);
  assert.is(goal(list, 'e2e.single: ratio').ok, false);
  assert.is(goal(list, 'e2e.single: p99').ok, true);
  assert.is(goal(list, 'state.apply.access ≥').ok, true);
  const rss = goal(list, 'state.apply.access at 1M patients: RSS');
  assert.is(rss.ok, false);
  assert.match(rss.detail, /1,100 MB after a full GC \(peak 1,300 MB\)/);
  assert.is(goal(list, 'state.apply.mixed ≥').ok, false);
  assert.is(goal(list, 'state.apply.mixed at 1M patients: RSS').ok, true);
  assert.is(goal(list, 'state.smt.update').ok, false);
  assert.is(goal(list, 'state.smt.prove').ok, true);
  assert.is(goal(list, 'state.smt.verify').ok, null);
  assert.is(goal(list, 'p2p.sync').ok, true);
  const smallSync = goal([{ id: 'p2p.sync', ops_per_s: 90_000, blocks: 2, block_txs: 5000 }], 'p2p.sync');
  assert.is(smallSync.ok, null);
  assert.is(smallSync.detail, 'no result at 10 blocks of 5,000 txs (measured at 2 of 5,000)');
  const slow = goal([devnet(4, 1000), devnet(4, 100, { mode: 'rate', rate: 100, p50_ms: 300 })], 'e2e.devnet at half');
  assert.match(slow.detail, /offered well below half/);
});

/** The cells of the table that follows `heading` in the html, row by row. */
function tableAfter(html: string, heading: string): string[][] {
  const start = html.indexOf(heading);
  assert.ok(start >= 0, heading);
  const t = html.slice(html.indexOf('<table', start), html.indexOf('</table>', start));
  return [...t.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...(m[1] as string).matchAll(/<t[dh]>(.*?)<\/t[dh]>/g)].map((c) => c[1] as string),
  );
}

test('report from a temporary results dir: the curves with their points in order, the goals table of issue 18', () => {
  withDir((dir) => {
    // Saved out of order; a 4-validator rate run is no point of the saturation curve.
    saveBaseline(devnet(10, 50), dir);
    saveBaseline(devnet(4, 600), dir);
    saveBaseline(devnet(7, 300), dir);
    saveBaseline(devnet(4, 300, { mode: 'rate', rate: 300 }), dir);
    saveBaseline(smt('state.smt.update', 3_000_000, 1500, { cpu_us_per_update: 195.4 }), dir);
    saveBaseline(smt('state.smt.update', 100_000, 4500, { cpu_us_per_update: 46 }), dir);
    saveBaseline(smt('state.smt.prove', 100_000, 24_156, { cpu_us_per_proof: 9.3 }), dir);
    saveBaseline(
      {
        id: 'consensus.scale',
        ops_per_s: 1,
        curve: [25, 4, 10].map((n) => ({
          validators: n,
          messages_per_block: (2 * n + 1) * (n - 1),
          cert_bytes: 46 * n,
        })),
      },
      dir,
    );
    const html = buildReport(new Map(), loadAllBaselines(dir));
    assert.match(html, /How cost grows/);
    assert.equal(
      tableAfter(html, 'consensus.scale: messages')
        .slice(1)
        .map((r) => [r[0], r[1]]),
      [
        ['4', '27'],
        ['10', '189'],
        ['25', '1,224'],
      ],
    );
    const state = tableAfter(html, 'state.smt.update --keys N');
    assert.equal(
      state.slice(1).map((r) => [r[0], r[1], r[7]]),
      [
        ['100,000', '120,000', '24,156 (9.3)'],
        ['3,000,000', '3,020,000', '—'],
      ],
    );
    const e2e = tableAfter(html, 'e2e.devnet --validators N');
    assert.equal(
      e2e.slice(1).map((r) => [r[0], r[1]]),
      [
        ['4', '600'],
        ['7', '300'],
        ['10', '50'],
      ],
    );
    assert.match(e2e[1]?.[8] ?? '', /load 3\.4 2\.0 1\.0 · Fake CPU, 2 cores/);
    // Three charts: a line per series that has figures (no verifies, no main-thread CPU in these fakes).
    assert.is((html.match(/<polyline[^>]*class="cv"/g) ?? []).length, 4);
    for (const b of Object.values(BOUNDS)) assert.ok(html.includes(b), b.slice(0, 40));
    // Goals: issue 18's, judged from these results.
    const goals = tableAfter(html, 'Performance goals (');
    assert.ok(
      goals.some(
        (r) => r[0]?.startsWith('e2e.devnet, 4 validators, saturation: ratio') && /class="ok">met</.test(r[1] ?? ''),
      ),
    );
    assert.ok(
      goals.some(
        (r) =>
          r[0]?.startsWith('state.smt.update') &&
          r[2] === 'no result at 1,000,000 keys (measured at 100,000, 3,000,000)',
      ),
    );
    assert.not.match(html, /issue 7/);
  });
});

test('a curve with fewer than two saved points prints the runs that save them, not an empty chart', () => {
  withDir((dir) => {
    saveBaseline(devnet(4, 600), dir);
    const html = buildReport(new Map(), loadAllBaselines(dir));
    assert.is((html.match(/class="cv"/g) ?? []).length, 0);
    assert.match(html, /One saved point/);
    assert.match(html, /No saved point/);
    // Only the sizes not saved yet: the 4-validator run is there.
    assert.not.ok(html.includes('e2e.devnet --validators 4 --seconds 60 --save'));
    for (const [, cmd] of [...CURVE_RUNS.consensus, ...CURVE_RUNS.state, ...CURVE_RUNS.devnet.slice(1)])
      assert.ok(html.includes(cmd), cmd);
  });
});

test('a fresh run counts as a point beside the saved ones', () => {
  withDir((dir) => {
    saveBaseline(devnet(4, 600), dir);
    const fresh = devnet(7, 300);
    const html = buildReport(new Map([['e2e.devnet.v7', fresh]]), loadAllBaselines(dir));
    const e2e = tableAfter(html, 'e2e.devnet --validators N');
    assert.equal(
      e2e.slice(1).map((r) => r[0]),
      ['4', '7'],
    );
    assert.match(e2e[2]?.[8] ?? '', /this run \(not saved\)/);
  });
});

test('a hand-edited result of the wrong shape is no result, not a crash', () => {
  const odd = [
    devnet(4, 600, { processes: { node0: 1 }, blocks: 'fast', machine: { loadavg: 'high' } }),
    devnet(7, 300, { processes: [null, 3, { name: 'node0', cpu_ms_per_tx: 'x' }], saved_at: 5, saved_load: 'x' }),
    { id: 'consensus.scale', ops_per_s: 1, curve: { validators: 4 } },
  ];
  assert.is(goal(odd, 'e2e.devnet, 4 validators: validator CPU').ok, null);
  assert.is(goal(odd, 'e2e.devnet, 4 validators: no round').ok, null);
  const html = buildReport(new Map(odd.map((r, i) => [`k${i}`, r])), new Map());
  assert.match(html, /How cost grows/);
});

test("the bounds sentences are the README's", () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8').replace(/\s+/g, ' ');
  for (const b of Object.values(BOUNDS)) assert.ok(readme.includes(b), b.slice(0, 60));
});

test.run();
