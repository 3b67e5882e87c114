import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mapKey } from '../../../state/exec/keys.js';

const documented = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

test('mapKey equals the documented latin1 string of the viewed bytes, for any view into a larger buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (all, a, b) => {
      const from = all.length === 0 ? 0 : a % (all.length + 1);
      const to = from + (all.length === from ? 0 : b % (all.length - from + 1));
      const v = all.subarray(from, to);
      const k = mapKey(v);
      assert.is(k, documented(v));
      assert.is(k.length, v.length);
    }),
    { numRuns: 2000 },
  );
});

test('mapKey maps distinct byte strings to distinct keys', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), (x, y) => {
      const same = x.length === y.length && x.every((v, i) => v === y[i]);
      assert.is(mapKey(x) === mapKey(y), same);
    }),
    { numRuns: 2000 },
  );
});

test.run();
