/** The sessions' clock (rpc/auth/clock.ts): read once per job, fresh in the next. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jobNow } from '../../rpc/auth/clock.js';

const tickOver = (t: number): number => {
  // Bounded: the wall clock moves within a few ms.
  let now = Date.now();
  while (now <= t) now = Date.now();
  return now;
};

test('within one synchronous run the time is read once', () => {
  const first = jobNow();
  tickOver(first);
  assert.is(jobNow(), first);
});

test('the next job reads the clock again', async () => {
  const first = jobNow();
  const later = tickOver(first);
  await new Promise<void>((resolve) => setImmediate(resolve));
  const next = jobNow();
  assert.ok(next >= later, `${next} >= ${later}`);
});

test('after the microtasks queued before it, the clock is read again', async () => {
  const first = jobNow();
  const later = tickOver(first);
  await null;
  await null;
  assert.ok(jobNow() >= later);
});

test.run();
