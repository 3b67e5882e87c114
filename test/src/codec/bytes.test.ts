import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { from0x, fromHex, to0x, toHex } from '../../../src/codec/bytes.js';

test('hex round-trips any bytes, and accepts upper case', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      assert.equal(fromHex(toHex(b)), b);
      assert.equal(fromHex(toHex(b).toUpperCase()), b);
      assert.equal(from0x(to0x(b)), b);
    }),
  );
});

test('rejects odd lengths, non-hex characters and a missing 0x prefix', () => {
  for (const bad of ['a', 'abc', 'zz', '0g', ' 00', '00 ', '\u00ff0', 'é0'])
    assert.throws(() => fromHex(bad), /invalid hex/);
  assert.throws(() => from0x('00'), /0x-prefixed/);
  assert.throws(() => from0x('0x0'), /invalid hex/);
  assert.equal(from0x('0x'), new Uint8Array(0));
});

test.run();
