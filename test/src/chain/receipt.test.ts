/**
 * The hand-written receipt encoder gives cborg's canonical bytes for every
 * receipt (the events root commits to them), including the shapes it hands
 * to cborg, and decodeReceipt reads them back.
 */
import { encode as cborgEncode } from 'cborg';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ChainEvent,
  decodeReceipt,
  type EventValue,
  encodeReceipt,
  type Receipt,
} from '../../../src/chain/receipt.js';

const generic = (r: Receipt): Uint8Array =>
  cborgEncode([r.txHash, r.status, r.code, r.events.map((e) => [e.type, e.attrs])]);

/** Same bytes (cborg returns a Buffer or a Uint8Array depending on size; the bytes are what counts). */
const sameBytes = (a: Uint8Array, b: Uint8Array): void =>
  assert.is(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));

const value: fc.Arbitrary<EventValue> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.nat(),
  fc.maxSafeNat(),
  fc.constantFrom(0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: -1000, max: -1 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const key = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('a', 'b', 'aa', 'ab', 'patient', 'grantee', '10', '9', 'Z', 'z'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
);
const event: fc.Arbitrary<ChainEvent> = fc.record({
  type: fc.oneof(fc.constantFrom('access', 'consent.granted'), fc.string({ maxLength: 30 })),
  // up to 24 keys: bigger maps than events carry today
  attrs: fc.dictionary(key, value, { maxKeys: 24 }),
});
const receipt: fc.Arbitrary<Receipt> = fc.record({
  txHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  status: fc.constantFrom(0, 1, 2),
  code: fc.oneof(fc.constant(''), fc.string({ maxLength: 64 })),
  events: fc.array(event, { maxLength: 30 }),
});

test('property: encodeReceipt is byte-identical to the generic cborg encoding', () => {
  fc.assert(
    fc.property(receipt, (r) => {
      sameBytes(encodeReceipt(r), generic(r));
    }),
    { numRuns: 2000 },
  );
});

test('map keys in canonical order (length first), whatever order the event built them in', () => {
  const r: Receipt = {
    txHash: new Uint8Array(32).fill(1),
    status: 2,
    code: 'NO_CONSENT',
    events: [{ type: 'access', attrs: { purpose: 1, zz: true, a: null, '10': 'x', '9': new Uint8Array([1]) } }],
  };
  const bytes = encodeReceipt(r);
  sameBytes(bytes, generic(r));
  assert.equal(Object.keys(decodeReceipt(bytes).events[0]?.attrs ?? {}), ['9', '10', 'a', 'zz', 'purpose']);
});

test('a Buffer attribute encodes as the same byte string as a Uint8Array', () => {
  const base = { txHash: new Uint8Array(32), status: 0 as const, code: '' };
  const a = encodeReceipt({ ...base, events: [{ type: 't', attrs: { k: Buffer.from([1, 2, 3]) } }] });
  const b = encodeReceipt({ ...base, events: [{ type: 't', attrs: { k: new Uint8Array([1, 2, 3]) } }] });
  sameBytes(a, b);
});

test('property: decodeReceipt reads back what encodeReceipt writes (canonical, unsigned-int attrs)', () => {
  const flat = fc.record({
    txHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    status: fc.constantFrom(0, 1, 2),
    code: fc.string({ maxLength: 64 }),
    events: fc.array(
      fc.record({
        type: fc.string({ maxLength: 30 }),
        attrs: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 12 }),
          fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string(), fc.maxSafeNat(), fc.boolean(), fc.constant(null)),
          { maxKeys: 6 },
        ),
      }),
      { maxLength: 10 },
    ),
  });
  fc.assert(
    fc.property(flat, (r) => {
      sameBytes(encodeReceipt(decodeReceipt(encodeReceipt(r))), encodeReceipt(r));
    }),
    { numRuns: 500 },
  );
});

test.run();
