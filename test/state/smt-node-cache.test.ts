import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { equal } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { sha256Bytes, sha256Key } from '../../state/smt/hash.js';
import { alloc } from '../../state/smt/node.js';
import { hashKey, NodeCache } from '../../state/store/node-cache.js';

const bytesOf = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test('alloc: buffers cut from the slab never overlap, across slab refills and beside large unpooled ones', () => {
  const bufs: Uint8Array[] = [];
  // 64 KiB slabs: 3,000 x 300 bytes spans ~14 of them; 8 KiB is over the pooled size.
  for (let i = 0; i < 3000; i++) {
    const b = alloc(i % 500 === 0 ? 8192 : 300);
    b.fill(i & 0xff);
    bufs.push(b);
  }
  bufs.forEach((b, i) => {
    assert.ok(
      b.every((x) => x === (i & 0xff)),
      `buffer ${i} was overwritten by a later one`,
    );
  });
});

test('hashKey: the 32 bytes as a one-byte string, equal to Buffer latin1, distinct per hash', () => {
  const a = bytesOf(32, 0xe9);
  const b = bytesOf(32, 0xe9);
  b[31] = 0;
  assert.is(hashKey(a), Buffer.from(a).toString('latin1'));
  assert.is(hashKey(a).length, 32);
  assert.is.not(hashKey(a), hashKey(b));
  // A view into a larger buffer maps only its own bytes.
  const big = new Uint8Array(64).fill(7);
  big.set(a, 16);
  assert.is(hashKey(big.subarray(16, 48)), hashKey(a));
});

test('sha256Bytes and sha256Key: the same digest as src/crypto sha256, for any input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
      const d = sha256(data);
      assert.ok(equal(sha256Bytes(data), d));
      assert.is(sha256Key(data), Buffer.from(d).toString('latin1'));
      assert.is(hashKey(sha256Bytes(data)), sha256Key(data));
    }),
  );
});

test('NodeCache: a kept copy does not change when the source buffer is reused; counts hits and misses', () => {
  const c = new NodeCache(1 << 20);
  const src = bytesOf(100, 1);
  c.set('a', src, true);
  src.fill(2);
  assert.ok(equal(c.get('a') as Uint8Array, bytesOf(100, 1)));
  assert.is(c.get('b'), undefined);
  assert.equal({ hits: c.stats().hits, misses: c.stats().misses }, { hits: 1, misses: 1 });
});

test('NodeCache: a deleted node is a miss in either generation', () => {
  // A half holds three 100-byte entries (292 heap bytes each): the fourth flips 'old' into the old generation.
  const c = new NodeCache(2 * 3 * 292);
  c.set('old', bytesOf(100, 1), false);
  c.set('x', bytesOf(100, 2), false);
  c.set('y', bytesOf(100, 3), false);
  c.set('young', bytesOf(100, 4), false);
  c.delete('old');
  c.delete('young');
  assert.is(c.get('old'), undefined);
  assert.is(c.get('young'), undefined);
  assert.is(c.stats().entries, 2);
});

test('NodeCache: property: a hit is always the last bytes set for the key, and the size stays within the bound', () => {
  const max = 8 * 292;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('set', 'get', 'delete'),
          key: fc.integer({ min: 0, max: 12 }),
          fill: fc.integer({ min: 0, max: 255 }),
          copy: fc.boolean(),
        }),
        { maxLength: 200 },
      ),
      (ops) => {
        const c = new NodeCache(max);
        const model = new Map<string, number>();
        for (const { op, key, fill, copy } of ops) {
          const k = `k${key}`;
          if (op === 'set') {
            c.set(k, bytesOf(100, fill), copy);
            model.set(k, fill);
          } else if (op === 'delete') {
            c.delete(k);
            model.delete(k);
          } else {
            const got = c.get(k);
            if (got !== undefined) assert.ok(equal(got, bytesOf(100, model.get(k) ?? -1)), `stale bytes for ${k}`);
          }
          assert.ok(c.stats().bytes <= max, 'over the byte bound');
        }
      },
    ),
  );
});

test('NodeCache: nodes read since the last flip survive it (the working set stays cached)', () => {
  const c = new NodeCache(2 * 4 * 292);
  for (let i = 0; i < 4; i++) c.set(`hot${i}`, bytesOf(100, i), false);
  // Churn: every cold insert flips a generation in time; the hot set is read between them.
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 4; i++) assert.ok(c.get(`hot${i}`) !== undefined, `hot${i} evicted in round ${round}`);
    c.set(`cold${round}`, bytesOf(100, 9), false);
  }
});

test.run();
