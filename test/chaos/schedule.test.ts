/** The chaos fault schedule: seeded, never more than f faulty at once, quiet before the end. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAULT_KINDS, makeSchedule, maxFaulty, peakFaulty, type ScheduleOptions } from '../../bench/chaos/schedule.js';

const base: ScheduleOptions = {
  seed: 1,
  validators: 4,
  durationMs: 10 * 60_000,
  kinds: FAULT_KINDS,
  warmupMs: 5_000,
  quietMs: 60_000,
  minFaultMs: 2_000,
  maxFaultMs: 8_000,
  minGapMs: 1_000,
  maxGapMs: 4_000,
};

test('never more than f = floor((n-1)/3) validators faulty at once, for many seeds and sizes', () => {
  for (let n = 1; n <= 10; n++)
    for (let seed = 1; seed <= 50; seed++) {
      const s = makeSchedule({ ...base, seed, validators: n });
      assert.ok(peakFaulty(s) <= maxFaulty(n), `n=${n} seed=${seed}`);
      if (maxFaulty(n) === 0) assert.is(s.length, 0);
    }
});

test('faults overlap when f allows it (7 validators)', () => {
  const s = makeSchedule({ ...base, validators: 7 });
  assert.is(peakFaulty(s), 2);
});

test('no fault before the warm-up or into the quiet tail; every fault kind is used', () => {
  const s = makeSchedule(base);
  assert.ok(s.length > 50);
  for (const f of s) {
    assert.ok(f.at >= base.warmupMs);
    assert.ok(f.at + f.ms <= base.durationMs - base.quietMs);
    for (const i of f.nodes) assert.ok(i >= 0 && i < base.validators);
    assert.is(f.nodes.length, f.kind === 'quorum' ? maxFaulty(base.validators) + 1 : 1);
  }
  for (const k of FAULT_KINDS)
    assert.ok(
      s.some((f) => f.kind === k),
      k,
    );
});

test('a quorum loss takes f + 1 distinct validators and overlaps no other fault', () => {
  for (const validators of [4, 7])
    for (let seed = 1; seed <= 20; seed++) {
      const s = makeSchedule({ ...base, seed, validators });
      const q = s.filter((f) => f.kind === 'quorum');
      assert.ok(q.length > 0, `seed ${seed}`);
      for (const f of q) {
        assert.is(new Set(f.nodes).size, maxFaulty(validators) + 1);
        const others = s.filter((g) => g !== f && g.at < f.at + f.ms && f.at < g.at + g.ms);
        assert.equal(others, [], `seed ${seed}: quorum loss at ${f.at} overlaps`);
      }
    }
});

test('the same seed gives the same schedule, another seed another one', () => {
  assert.equal(makeSchedule(base), makeSchedule(base));
  assert.not.equal(makeSchedule(base), makeSchedule({ ...base, seed: 2 }));
});

test.run();
