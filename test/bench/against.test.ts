/**
 * `bench --against <ref>`: argument handling and the alternation of the two
 * builds, with a fake runner (no timings, no builds).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Build, compare, median, parseAgainst, parseResults, runAgainst, schedule } from '../../bench/against.js';
import type { BenchResult } from '../../bench/types.js';

test('no --against: undefined, the ordinary run goes on', () => {
  assert.is(parseAgainst(['state.apply.access', '--json']), undefined);
});

test('--against takes its ref out, keeps ids and flag values, adds --json once, 3 rounds by default', () => {
  const o = parseAgainst(['e2e.devnet', '--validators', '4', '--against', 'HEAD~2', '--json', '--seconds', '5']);
  assert.equal(o, {
    ref: 'HEAD~2',
    rounds: 3,
    fields: [],
    childArgs: ['e2e.devnet', '--validators', '4', '--seconds', '5', '--json'],
  });
});

test('--rounds is taken out and bounded', () => {
  assert.is(parseAgainst(['x', '--against', 'main', '--rounds', '5'])?.rounds, 5);
  assert.not.ok(parseAgainst(['x', '--against', 'main', '--rounds', '5'])?.childArgs.includes('--rounds'));
  for (const bad of ['0', '-1', '2.5', 'many', '51'])
    assert.throws(() => parseAgainst(['x', '--against', 'main', '--rounds', bad]), /--rounds/);
  assert.throws(() => parseAgainst(['x', '--against', 'main', '--rounds']), /--rounds/);
});

test('--fields is taken out and compared by median per build; a run lacking a field gives null', () => {
  const o = parseAgainst(['x', '--against', 'main', '--fields', 'p99_ms,max_round']);
  assert.equal(o?.fields, ['p99_ms', 'max_round']);
  assert.not.ok(o?.childArgs.includes('--fields'));
  assert.equal(parseAgainst(['x', '--against', 'main', '--fields', 'blocks.max_txs,p50_ms'])?.fields, [
    'blocks.max_txs',
    'p50_ms',
  ]);
  for (const bad of ['', 'a,,b', 'P99', 'a b', '--json', '.a', 'a.', 'a..b', 'a,.b'])
    assert.throws(() => parseAgainst(['x', '--against', 'main', '--fields', bad]), /--fields/);
  const runs: { build: Build; results: BenchResult[] }[] = [
    { build: 'old', results: [{ id: 'x', ops_per_s: 1, p99_ms: 900, max_round: 2, blocks: { max_txs: 10 } }] },
    { build: 'new', results: [{ id: 'x', ops_per_s: 1, p99_ms: 300, blocks: { max_txs: 4 } }] },
    { build: 'new', results: [{ id: 'x', ops_per_s: 1, p99_ms: 500, blocks: { max_txs: 'n/a' } }] },
    { build: 'old', results: [{ id: 'x', ops_per_s: 1, p99_ms: 1100, max_round: 1, blocks: null }] },
  ];
  assert.equal(compare(runs, ['p99_ms', 'max_round', 'blocks.max_txs'])[0]?.fields, {
    p99_ms: { old: 1000, new: 400 },
    max_round: { old: 1.5, new: null },
    'blocks.max_txs': { old: 10, new: 4 },
  });
});

test('--against without a ref, without an id, twice, or with --save/--report/--list is refused', () => {
  assert.throws(() => parseAgainst(['x', '--against']), /needs a git ref/);
  assert.throws(() => parseAgainst(['x', '--against', '--json']), /needs a git ref/);
  assert.throws(() => parseAgainst(['--against', 'main']), /at least one benchmark id/);
  // "4" is the value of --validators, not an id.
  assert.throws(() => parseAgainst(['--validators', '4', '--against', 'main']), /at least one benchmark id/);
  assert.throws(() => parseAgainst(['x', '--against', 'a', '--against', 'b']), /once/);
  for (const f of ['--save', '--report', '--list'])
    assert.throws(() => parseAgainst(['x', '--against', 'main', f]), new RegExp(f));
});

test('schedule alternates old/new, then new/old, so each build runs first as often as the other', () => {
  assert.equal(schedule(1), ['old', 'new']);
  assert.equal(schedule(4), ['old', 'new', 'new', 'old', 'old', 'new', 'new', 'old']);
  const s = schedule(6);
  assert.is(s.filter((b) => b === 'new').length, 6);
  const firsts = [0, 2, 4, 6, 8, 10].map((k) => s[k]);
  assert.is(firsts.filter((b) => b === 'old').length, 3);
});

test('median of odd and even counts', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('compare pairs each id round by round and takes the median ratio', () => {
  const r = (id: string, ops: number): BenchResult => ({ id, ops_per_s: ops });
  const runs: { build: Build; results: BenchResult[] }[] = [
    { build: 'old', results: [r('a', 100), r('b', 10)] },
    { build: 'new', results: [r('a', 150), r('b', 10)] },
    { build: 'new', results: [r('a', 300), r('b', 30)] },
    { build: 'old', results: [r('a', 100), r('b', 10)] },
    { build: 'old', results: [r('a', 200), r('b', 20)] },
    { build: 'new', results: [r('a', 240), r('b', 10)] },
  ];
  const [a, b] = compare(runs);
  assert.equal(a?.ratios, [1.5, 3, 1.2]);
  assert.is(a?.median_ratio, 1.5);
  assert.equal(b?.old, [10, 10, 20]);
  assert.is(b?.median_ratio, 1);
});

test('runAgainst calls the runner in schedule order with the same args, and fails on an empty run', async () => {
  const calls: Build[] = [];
  const opts = { ref: 'main', rounds: 3, fields: [], childArgs: ['x', '--json'] };
  const seen = new Set<string>();
  const out = await runAgainst(
    opts,
    async (build, args) => {
      calls.push(build);
      seen.add(args.join(' '));
      return [{ id: 'x', ops_per_s: build === 'new' ? 200 : 100 }];
    },
    () => {},
  );
  assert.equal(calls, schedule(3));
  assert.equal([...seen], ['x --json']);
  assert.is(out[0]?.median_ratio, 2);
  try {
    await runAgainst(
      opts,
      async () => [],
      () => {},
    );
    assert.unreachable('an empty run must fail');
  } catch (e) {
    assert.match(String(e), /printed no result/);
  }
});

test('parseResults keeps the JSON result lines and skips progress', () => {
  const out = parseResults('# x\n{"id":"x","ops_per_s":5}\nnoise\n{"other":1}\n');
  assert.equal(out, [{ id: 'x', ops_per_s: 5 }]);
});

test('--keep <file> is taken out of the child args and receives every run whole, with build, round and load', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'medchain-keep-')), 'runs.jsonl');
  const o = parseAgainst(['x', '--against', 'main', '--rounds', '2', '--keep', file]);
  assert.is(o?.keep, file);
  assert.not.ok(o?.childArgs.includes('--keep'));
  assert.throws(() => parseAgainst(['x', '--against', 'main', '--keep']), /--keep needs a file/);
  writeFileSync(file, 'stale\n');
  await runAgainst(
    o as NonNullable<typeof o>,
    async (build) => [{ id: 'x', ops_per_s: build === 'new' ? 2 : 1, limit_ops_per_s: 9 }],
    () => {},
  );
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(
    lines.map((l) => [l.build, l.round, l.results[0].ops_per_s, l.results[0].limit_ops_per_s]),
    [
      ['old', 0, 1, 9],
      ['new', 0, 2, 9],
      ['new', 1, 2, 9],
      ['old', 1, 1, 9],
    ],
  );
  for (const l of lines) assert.match(l.load_start, /^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
});

test.run();
