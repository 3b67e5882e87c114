/**
 * Baseline keys carry the size of a run when it is not the benchmark's
 * default, so a scaling run neither overwrites the default baseline nor is
 * compared with it. Saved into a temporary directory, never bench/results.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { baselineKey, loadBaseline, runRows, saveBaseline, sizeValue } from '../../bench/report/baseline.js';
import type { BenchResult } from '../../bench/types.js';

const devnet = (validators: number, ops: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  id: 'e2e.devnet',
  ops_per_s: ops,
  mode: 'saturation',
  rate: null,
  validators,
  ...extra,
});

test('the default size keeps the plain key (and .rate for a rate run)', () => {
  assert.is(baselineKey(devnet(4, 1)), 'e2e.devnet');
  assert.is(baselineKey(devnet(4, 1, { mode: 'rate', rate: 550 })), 'e2e.devnet.rate');
  assert.is(baselineKey({ id: 'e2e.single', ops_per_s: 1, validators: 1 }), 'e2e.single');
  assert.is(
    baselineKey({ id: 'state.smt.update', ops_per_s: 1, keys: 1_020_000, loaded_keys: 1_000_000 }),
    'state.smt.update',
  );
  assert.is(baselineKey({ id: 'state.apply.mixed', ops_per_s: 1, patients: 1_000_000 }), 'state.apply.mixed');
  assert.is(baselineKey({ id: 'crypto.verify.pool', ops_per_s: 1 }), 'crypto.verify.pool');
  assert.is(baselineKey({ id: 'consensus.scale', ops_per_s: 1, curve: [] }), 'consensus.scale');
});

test('another size gets its own key: v<validators>, k<keys loaded>, p<patients>; .rate after the size', () => {
  assert.is(baselineKey(devnet(7, 1)), 'e2e.devnet.v7');
  assert.is(baselineKey(devnet(10, 1, { mode: 'rate', rate: 100 })), 'e2e.devnet.v10.rate');
  assert.is(baselineKey({ id: 'e2e.single', ops_per_s: 1, validators: 2 }), 'e2e.single.v2');
  // The keys loaded (--keys), not the keys after the run's inserts.
  const smt = { id: 'state.smt.prove', ops_per_s: 1, keys: 3_020_000, loaded_keys: 3_000_000 };
  assert.is(baselineKey(smt), 'state.smt.prove.k3000000');
  assert.is(sizeValue(smt), 3_000_000);
  assert.is(baselineKey({ id: 'state.apply.access', ops_per_s: 1, patients: 200_000 }), 'state.apply.access.p200000');
});

test('a result that does not say its size (or says a size that is no count) keeps the plain key', () => {
  assert.is(baselineKey({ id: 'state.smt.update', ops_per_s: 1, keys: 120_000 }), 'state.smt.update');
  assert.is(sizeValue({ id: 'e2e.devnet', ops_per_s: 1, validators: 'seven' }), undefined);
  assert.is(baselineKey({ id: 'state.apply.access', ops_per_s: 1, patients: 1.5e3 + 0.5 }), 'state.apply.access');
  assert.is(baselineKey({ id: 'e2e.devnet', ops_per_s: 1, validators: -3 }), 'e2e.devnet');
});

test('saving a 7-validator run leaves the 4-validator baseline; each run compares with its own size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  try {
    saveBaseline(devnet(4, 1000), dir);
    saveBaseline(devnet(7, 400), dir);
    saveBaseline(devnet(4, 500, { mode: 'rate', rate: 500, p50_ms: 800, p99_ms: 2000 }), dir);
    assert.equal(readdirSync(dir).sort(), ['e2e.devnet.json', 'e2e.devnet.rate.json', 'e2e.devnet.v7.json']);
    assert.is(loadBaseline('e2e.devnet', dir)?.ops_per_s, 1000);
    const saved = loadBaseline('e2e.devnet.v7', dir);
    assert.is(saved?.ops_per_s, 400);
    assert.ok(typeof saved?.saved_at === 'string' && saved.saved_load?.length === 3, 'date and load kept');

    const rows = runRows([devnet(7, 500), devnet(4, 900), devnet(10, 100)], dir);
    assert.equal(
      rows.map((r) => [r.id, r.baseline, r.change]),
      [
        ['e2e.devnet.v7', 400, 0.25],
        ['e2e.devnet', 1000, -0.1],
        ['e2e.devnet.v10', null, null],
      ],
    );
    const rate = runRows([devnet(4, 450, { mode: 'rate', rate: 500, p50_ms: 400, p99_ms: 2000 })], dir);
    assert.equal(
      rate.map((r) => [r.id, r.figure, r.baseline]),
      [
        ['e2e.devnet @500/s', 'finalized tx/s', 500],
        ['e2e.devnet @500/s', 'p50 ms', 800],
        ['e2e.devnet @500/s', 'p99 ms', 2000],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
