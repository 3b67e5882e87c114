import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlockBudget, type BlockBudgetOptions, defaultBlockBudgetOptions } from '../../consensus/block-budget.js';

const opts: BlockBudgetOptions = { ...defaultBlockBudgetOptions, targetMs: 1000, initialTxs: 500, minTxs: 100 };

test('before any measurement the cap is the initial size, within the chain maximum', () => {
  assert.is(new BlockBudget(opts).cap(10_000), 500);
  assert.is(new BlockBudget(opts).cap(300), 300);
});

test('a fast node grows its blocks at most maxGrowth times the largest measured one, up to the chain maximum', () => {
  const b = new BlockBudget(opts);
  b.observe(500, 5); // 0.01 ms per tx: 100,000 would fit in 1 s
  assert.is(b.cap(10_000), 1000);
  b.observe(1000, 10);
  assert.is(b.cap(10_000), 2000);
  for (let n = 2000; n < 20_000; n *= 2) b.observe(n, n / 100);
  assert.is(b.cap(10_000), 10_000);
});

test('a slow or loaded node shrinks its blocks to what it executes in targetMs, never below minTxs', () => {
  const b = new BlockBudget(opts);
  b.observe(1000, 4000); // 4 ms per tx: 250 fit
  assert.is(b.cap(10_000), 250);
  b.observe(1000, 100_000); // 100 ms per tx, averaged in: still the floor at worst
  assert.ok(b.cap(10_000) >= 100);
  const slow = new BlockBudget({ ...opts, alpha: 1 });
  slow.observe(1000, 100_000);
  assert.is(slow.cap(10_000), 100);
});

test('the estimate is a moving average: one slow block does not collapse the cap', () => {
  const b = new BlockBudget({ ...opts, alpha: 0.3 });
  for (let i = 0; i < 5; i++) b.observe(1000, 500); // 0.5 ms per tx: 2000 fit
  assert.is(b.cap(10_000), 2000);
  b.observe(1000, 5000); // one 5 ms/tx block (a GC, a compaction): 0.5 + 0.3 * 4.5 = 1.85 ms per tx
  assert.is(b.cap(10_000), 540);
});

test('small executions, negative and non-finite durations are not sampled', () => {
  const b = new BlockBudget(opts);
  b.observe(10, 1000);
  b.observe(1000, -1);
  b.observe(1000, Number.NaN);
  b.observe(1000, Number.POSITIVE_INFINITY);
  assert.is(b.msPerTxEstimate, undefined);
  assert.is(b.cap(10_000), 500);
});

test('property: the cap is always an integer within [min(minTxs, max), max]', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(20_000), fc.double({ min: -10, max: 1e6, noNaN: false })), { maxLength: 20 }),
      fc.integer({ min: 1, max: 20_000 }),
      (samples, max) => {
        const b = new BlockBudget(opts);
        for (const [n, ms] of samples) b.observe(n, ms);
        const c = b.cap(max);
        return Number.isInteger(c) && c <= max && c >= Math.min(opts.minTxs, max);
      },
    ),
  );
});

test('a height that takes longer than targetIntervalMs commit to commit caps blocks below what execution alone allows', () => {
  const b = new BlockBudget({ ...opts, targetIntervalMs: 1000 });
  b.observe(1000, 100); // 0.1 ms per tx executed: 10,000 would fit targetMs
  b.observe(2000, 200);
  b.observe(4000, 400);
  assert.is(b.cap(100_000), 8000);
  b.observeInterval(4000, 8000); // but a height of 4,000 took 8 s: 2 ms per tx
  assert.is(b.cap(100_000), 500);
  assert.is(b.intervalMsPerTxEstimate, 2);
});

test('heights costing F + n·c ms converge to blocks whose height lasts about targetIntervalMs', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 600 }), // fixed cost of a height (votes, commit), ms
      fc.double({ min: 0.05, max: 5, noNaN: true }), // cost per tx, ms
      (fixed, perTx) => {
        const b = new BlockBudget({ ...opts, targetMs: 1e9, targetIntervalMs: 1000, minTxs: 50, minSampleTxs: 1 });
        let n = 0;
        for (let i = 0; i < 60; i++) {
          n = b.cap(1_000_000);
          b.observe(n, n * 0.01);
          b.observeInterval(n, fixed + n * perTx);
        }
        const took = fixed + n * perTx;
        // At the floor (minTxs) a slow machine may exceed the target; otherwise within 10 % of it.
        return n === 50 ? fixed + 50 * perTx >= 900 : took >= 900 && took <= 1100;
      },
    ),
  );
});

test('interval samples of tiny heights or bad durations are ignored', () => {
  const b = new BlockBudget(opts);
  b.observeInterval(10, 1000);
  b.observeInterval(1000, -1);
  b.observeInterval(1000, Number.NaN);
  assert.is(b.intervalMsPerTxEstimate, undefined);
});

test.run();
