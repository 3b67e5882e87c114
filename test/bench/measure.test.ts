import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gcMeter } from '../../bench/measure.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('gcMeter counts the GC pauses that start inside the given spans, none outside', async () => {
  const meter = gcMeter();
  const t0 = performance.now();
  gc();
  gc();
  meter.count(t0, performance.now());
  for (let i = 0; i < 6; i++) gc(); // outside every span
  const r = await meter.stop();
  // Two full collections inside (each may add a weak-callback entry); the six outside are not counted.
  assert.ok(r.other >= 2 && r.other < 6, `other pauses counted: ${r.other}`);
  assert.ok(r.otherMs > 0);
});

test('gcMeter with no span counts nothing', async () => {
  const meter = gcMeter();
  gc();
  const r = await meter.stop();
  assert.equal(r, { minorMs: 0, otherMs: 0, minor: 0, other: 0 });
});

test.run();
