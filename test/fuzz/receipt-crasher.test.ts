/**
 * A crasher the fuzzer found: decodeReceipt (which the client SDK runs on receipts
 * a node sends) threw a plain Error when an event's attributes were not a map.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeReceipt, encodeReceipt } from '../../src/chain/receipt.js';
import { fromHex } from '../../src/codec/bytes.js';
import { CodecErrorCode, encode } from '../../src/codec/cbor.js';
import { isCoded } from '../../src/errors.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return isCoded(err) ? err.code : `uncoded ${String(err)}`;
  }
  return 'accepted';
};

test('receipt event whose attrs are not a map is CODEC_SHAPE (fuzz receipt seed 7 #61589)', () => {
  const found = fromHex(
    '84582050505050505050505050505050505050505050505050505050505050505050500060818262c3a95014e5cd809b7a52cf8807fffa753cb803',
  );
  assert.is(
    codeOf(() => decodeReceipt(found)),
    CodecErrorCode.SHAPE,
  );
  for (const attrs of [[1], null, new Uint8Array(2), 'x'])
    assert.is(
      codeOf(() => decodeReceipt(encode([new Uint8Array(32), 0, '', [['access', attrs]]]))),
      CodecErrorCode.SHAPE,
    );
});

test('a receipt with map attrs still round-trips', () => {
  const r = {
    txHash: new Uint8Array(32),
    status: 0 as const,
    code: '',
    events: [{ type: 'access', attrs: { granted: true } }],
  };
  assert.equal(decodeReceipt(encodeReceipt(r)), r);
});

test.run();
