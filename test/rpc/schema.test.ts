/** Edge-encoding schemas, error table, rate limiter and the other pure parts. */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorTable, ServerCode } from '../../rpc/error-codes.js';
import { defineMethod, type MethodParams, type MethodResult } from '../../rpc/methods.js';
import { clientKey, RateLimiter } from '../../rpc/rate-limit.js';
import { exceedsDepth } from '../../rpc/raw-json.js';
import { RpcError, safeMeta } from '../../rpc/rpc-error.js';
import {
  Bytes0x,
  decimalRangePattern,
  Hash32,
  MAX_SAFE,
  TimeMs,
  U64,
  U64_MAX,
  Uint,
  u64FromJson,
  u64ToJson,
} from '../../rpc/schema.js';

const t = suite('rpc schema helpers');

t('Bytes0x accepts lowercase 0x hex of whole bytes only', () => {
  const s = Bytes0x();
  for (const ok of ['0x', '0x00', '0xdeadbeef']) assert.ok(Value.Check(s, ok), ok);
  for (const bad of ['', '00', '0x0', '0xABCD', '0xzz', ' 0x00', 5]) assert.not.ok(Value.Check(s, bad), String(bad));
});

t('Bytes0x bounds the length in bytes', () => {
  assert.ok(Value.Check(Bytes0x({ length: 2 }), '0xabcd'));
  assert.not.ok(Value.Check(Bytes0x({ length: 2 }), '0xab'));
  assert.ok(Value.Check(Bytes0x({ minLength: 1, maxLength: 2 }), '0xab'));
  assert.not.ok(Value.Check(Bytes0x({ minLength: 1, maxLength: 2 }), '0x'));
  assert.not.ok(Value.Check(Bytes0x({ minLength: 1, maxLength: 2 }), '0xababab'));
});

t('Hash32 is exactly 32 bytes', () => {
  assert.ok(Value.Check(Hash32(), `0x${'ab'.repeat(32)}`));
  assert.not.ok(Value.Check(Hash32(), `0x${'ab'.repeat(31)}`));
  assert.not.ok(Value.Check(Hash32(), `0x${'ab'.repeat(33)}`));
});

t('Uint and TimeMs are integers 0..2^53-1', () => {
  for (const s of [Uint(), TimeMs()]) {
    assert.ok(Value.Check(s, 0) && Value.Check(s, MAX_SAFE));
    for (const bad of [-1, 1.5, MAX_SAFE + 1, '1']) assert.not.ok(Value.Check(s, bad), String(bad));
  }
});

t('U64 has one encoding per value: number up to 2^53-1, decimal string beyond', () => {
  const s = U64();
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: U64_MAX + 1000n }), (v) => {
      const asString = v.toString();
      const inRange = v <= U64_MAX;
      const big = v > BigInt(MAX_SAFE);
      assert.is(Value.Check(s, asString), inRange && big);
      if (!big) assert.ok(Value.Check(s, Number(v)));
      if (inRange) assert.is(u64FromJson(u64ToJson(v)), v);
    }),
  );
  for (const bad of ['00', '09007199254740993', '-1', '18446744073709551616', '1e20', ' 9007199254740993'])
    assert.not.ok(Value.Check(s, bad), bad);
  assert.ok(Value.Check(s, '18446744073709551615'));
  assert.ok(Value.Check(s, '9007199254740992'));
  assert.throws(() => u64ToJson(U64_MAX + 1n));
});

t('decimalRangePattern matches exactly the integers in its range', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 22n }),
      fc.bigInt({ min: 0n, max: 10n ** 22n }),
      fc.bigInt({ min: 0n, max: 10n ** 23n }),
      (a, b, x) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const re = new RegExp(decimalRangePattern(lo, hi));
        for (const v of [x, lo, hi, lo > 0n ? lo - 1n : 0n, hi + 1n])
          assert.is(re.test(v.toString()), v >= lo && v <= hi, `${lo}..${hi} ${v}`);
      },
    ),
    { numRuns: 300 },
  );
});

t.run();

const m = suite('rpc method definitions');

m('defineMethod rejects names outside namespace_method and reserved names', () => {
  const base = { summary: 's', params: [], result: Type.Null(), handler: () => null };
  for (const name of ['echo', 'Test_echo', 'rpc.discover', 'subscribe', 'test_', 'test-echo'])
    assert.throws(() => defineMethod({ ...base, name }), name);
  assert.is(defineMethod({ ...base, name: 'chain_getHeader' }).name, 'chain_getHeader');
});

m('params are checked positionally or by name into one typed object', () => {
  const method = defineMethod({
    name: 'test_typed',
    summary: 's',
    params: [
      { name: 'height', schema: Uint() },
      { name: 'hash', schema: Hash32(), required: false },
    ],
    result: Type.Object({ height: Uint() }),
    handler: (p) => ({ height: p.height }),
  });
  // Static types follow the schemas: `hash` is optional, `height` a number (checked by tsc).
  const typed: MethodParams<typeof method> = { height: 1 };
  const result: MethodResult<typeof method> = { height: typed.height };
  // @ts-expect-error height is required
  const missing: MethodParams<typeof method> = { hash: '0x' };
  assert.ok(method.parseParams(missing) instanceof RpcError);
  assert.equal(method.parseParams([1]), typed);
  assert.equal(method.parseParams({ height: 1 }), typed);
  assert.equal(method.parseParams([1, `0x${'00'.repeat(32)}`]), { height: 1, hash: `0x${'00'.repeat(32)}` });
  assert.ok(method.parseParams([]) instanceof RpcError);
  assert.ok(method.checkResult.Check(result));
});

m('defineMethod rejects required params after optional ones and clashing param names', () => {
  const base = { name: 'test_x', summary: 's', result: Type.Null(), handler: () => null };
  assert.throws(() =>
    defineMethod({
      ...base,
      params: [
        { name: 'a', schema: Type.Number(), required: false },
        { name: 'b', schema: Type.Number() },
      ],
    }),
  );
  assert.throws(() =>
    defineMethod({
      ...base,
      params: [
        { name: 'a', schema: Type.Number() },
        { name: 'a', schema: Type.Number() },
      ],
    }),
  );
  assert.throws(() => defineMethod({ ...base, params: [{ name: 'toString', schema: Type.Number() }] }));
});

m.run();

const e = suite('rpc error table');

e('ErrorTable keeps numbers inside their namespace range and unique', () => {
  const table = new ErrorTable({});
  table.define('tx', { TX_EXPIRED: 2001 });
  assert.is(table.numberOf('TX_EXPIRED'), 2001);
  assert.throws(() => table.define('tx', { TX_OTHER: 4001 }), /outside the tx range/);
  assert.throws(() => table.define('tx', { TX_OTHER: 2001 }), /already belongs/);
  assert.throws(() => table.define('tx', { TX_EXPIRED: 2002 }), /already has/);
});

e('unassigned codes map to DOMAIN_ERROR', () => {
  assert.is(new ErrorTable().numberOf('NOPE_NOPE'), ServerCode.DOMAIN_ERROR);
  assert.is(ServerCode.DOMAIN_ERROR, -32000);
});

e('server codes stay in the JSON-RPC server range and are distinct', () => {
  const codes = Object.values(ServerCode);
  assert.is(new Set(codes).size, codes.length);
  for (const c of codes) assert.ok(c <= -32000 && c >= -32099, String(c));
});

e('safeMeta keeps small primitives, hex of short bytes, and drops the rest', () => {
  assert.equal(
    safeMeta({
      n: 1,
      ok: true,
      s: 'x',
      long: 'y'.repeat(1000),
      big: 5n,
      id: new Uint8Array([1, 2]),
      blob: new Uint8Array(1000),
      obj: { a: 1 },
      arr: [1],
      nan: Number.NaN,
      code: 'SPOOF',
    }),
    { n: 1, ok: true, s: 'x', big: '5', id: '0x0102' },
  );
});

e.run();

const r = suite('rpc rate limiter and json scan');

r('token bucket allows a burst, then refills at its rate', () => {
  let now = 0;
  const rl = new RateLimiter({ perSecond: 10, burst: 3, maxClients: 10 }, () => now);
  assert.ok(rl.take('a', 3));
  assert.not.ok(rl.take('a', 1));
  assert.is(rl.retryAfterMs('a'), 100);
  now = 100;
  assert.ok(rl.take('a', 1));
  assert.not.ok(rl.take('a', 1));
  assert.ok(rl.take('b', 1));
});

r('rate limiter tracks at most maxClients, dropping idle ones first', () => {
  let now = 0;
  const rl = new RateLimiter({ perSecond: 1, burst: 2, maxClients: 3 }, () => now);
  rl.take('busy', 2);
  rl.take('idle1', 1);
  rl.take('idle2', 1);
  now = 5000;
  for (let i = 0; i < 100; i++) rl.take(`k${i}`, 1);
  assert.ok(rl.size <= 3);
});

r('clientKey unwraps IPv4-mapped addresses and groups IPv6 by /64', () => {
  assert.is(clientKey('10.1.2.3'), '10.1.2.3');
  assert.is(clientKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.is(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.is(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.is(clientKey('::1'), '0:0:0:0::/64');
  assert.is(clientKey(undefined), 'unknown');
});

r('depth scan counts brackets outside strings only', () => {
  const b = (s: string) => Buffer.from(s);
  assert.ok(exceedsDepth(b('[[[[1]]]]'), 3));
  assert.not.ok(exceedsDepth(b('[[[1]]]'), 3));
  assert.not.ok(exceedsDepth(b('["[[[[[[", "\\"[[[[[[["]'), 3));
  assert.ok(exceedsDepth(b('[{"a":[{"b":1}]}]'), 3));
  assert.not.ok(exceedsDepth(b('[1],[2],[3],[4],[5]'), 1));
});

/** Reference: nesting depth of a parsed JSON value. */
const depthOf = (v: unknown): number =>
  typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;

r('depth scan agrees with the depth of the parsed value', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (v, max) => {
      const bytes = Buffer.from(JSON.stringify(v));
      // Texts no longer than `max` are skipped by the scan: they cannot nest deeper.
      assert.is(exceedsDepth(bytes, max), depthOf(v) > max);
    }),
    { numRuns: 500 },
  );
});

r.run();
