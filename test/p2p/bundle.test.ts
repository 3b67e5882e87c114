import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBundle, encodeBundle, headLength, maxBundleBytes, TxBundler } from '../../p2p/bundle.js';
import { P2pError, P2pErrorCode } from '../../p2p/errors.js';
import { concat, equal } from '../../src/codec/bytes.js';
import { decodeCanonical } from '../../src/codec/cbor.js';
import { isCoded } from '../../src/errors.js';

const LIMITS = { maxItems: 64, maxItemBytes: 300 };
const items = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 64 });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof P2pError, `expected a P2pError, got ${String(err)}`);
    return (err as P2pError).code;
  }
  throw new Error('expected a throw');
}

/** Head of major type `major` carrying `n` in `width` extra bytes (0 = inline), minimal or not. */
function head(major: number, n: number, width: 0 | 1 | 2 | 4): Uint8Array {
  if (width === 0) return Uint8Array.of((major << 5) | n);
  const info = width === 1 ? 24 : width === 2 ? 25 : 26;
  const out = new Uint8Array(1 + width);
  out[0] = (major << 5) | info;
  for (let i = 0; i < width; i++) out[width - i] = Math.floor(n / 256 ** i) % 256;
  return out;
}

const codec = suite('bundle codec');

codec('round trips any items within limits (property)', () => {
  fc.assert(
    fc.property(items, (xs) => {
      const out = decodeBundle(encodeBundle(xs), LIMITS);
      assert.equal(out.length, xs.length);
      for (const [i, x] of xs.entries()) assert.ok(equal(out[i] as Uint8Array, x));
    }),
  );
});

codec('accepts only the canonical encoding: re-encoding accepted input gives the input (property)', () => {
  const mutated = items.chain((xs) =>
    fc.record({
      bytes: fc.constant(encodeBundle(xs)),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  );
  fc.assert(
    fc.property(mutated, ({ bytes, at, value }) => {
      const b = bytes.slice();
      b[at % b.length] = value;
      let out: Uint8Array[];
      try {
        out = decodeBundle(b, LIMITS);
      } catch (err) {
        assert.ok(isCoded(err), 'only coded errors escape');
        return;
      }
      assert.ok(equal(encodeBundle(out), b));
    }),
  );
});

codec('agrees with the generic canonical CBOR decoder on random bytes (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      let ours: Uint8Array[] | null = null;
      try {
        ours = decodeBundle(b, LIMITS);
      } catch {}
      let generic: unknown = null;
      try {
        generic = decodeCanonical(b, maxBundleBytes(LIMITS));
      } catch {}
      if (ours !== null) assert.ok(equal(encodeBundle(generic as Uint8Array[]), b));
      const isBundle =
        Array.isArray(generic) &&
        generic.length <= LIMITS.maxItems &&
        generic.every((x) => x instanceof Uint8Array && x.length <= LIMITS.maxItemBytes);
      assert.is(ours !== null, isBundle);
    }),
    { numRuns: 2000 },
  );
});

codec('rejects non-minimal heads (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 23 }), fc.constantFrom<1 | 2 | 4>(1, 2, 4), (x, width) => {
      const item = concat(head(2, x.length, width), x);
      assert.is(
        codeOf(() => decodeBundle(concat(head(4, 1, 0), item), LIMITS)),
        P2pErrorCode.BUNDLE_MALFORMED,
      );
      const arr = concat(head(4, 1, width), head(2, x.length, 0), x);
      assert.is(
        codeOf(() => decodeBundle(arr, LIMITS)),
        P2pErrorCode.BUNDLE_MALFORMED,
      );
    }),
  );
});

codec('rejects indefinite lengths, trailing bytes, truncation and other types with BUNDLE_MALFORMED', () => {
  const ok = encodeBundle([Uint8Array.of(1, 2)]);
  for (const bad of [
    Uint8Array.of(0x9f, 0x42, 1, 2, 0xff), // indefinite array
    Uint8Array.of(0x81, 0x5f, 0x42, 1, 2, 0xff), // indefinite byte string
    concat(ok, Uint8Array.of(0)), // trailing byte
    ok.subarray(0, ok.length - 1), // truncated
    Uint8Array.of(0x81, 0x62, 0x61, 0x62), // text string item
    Uint8Array.of(0xa0), // map
    new Uint8Array(0),
  ]) {
    assert.is(
      codeOf(() => decodeBundle(bad, LIMITS)),
      P2pErrorCode.BUNDLE_MALFORMED,
    );
  }
});

codec('checks the size limit before parsing: BUNDLE_TOO_LARGE', () => {
  const huge = new Uint8Array(maxBundleBytes(LIMITS) + 1); // all zeros: would be malformed if parsed
  assert.is(
    codeOf(() => decodeBundle(huge, LIMITS)),
    P2pErrorCode.BUNDLE_TOO_LARGE,
  );
});

codec('rejects a claimed count above maxItems before reading items: BUNDLE_TOO_MANY_ITEMS', () => {
  assert.is(
    codeOf(() => decodeBundle(head(4, 0xffffffff, 4), LIMITS)),
    P2pErrorCode.BUNDLE_TOO_MANY_ITEMS,
  );
  const tooMany = encodeBundle(Array.from({ length: 65 }, () => new Uint8Array(0)));
  assert.is(
    codeOf(() => decodeBundle(tooMany, LIMITS)),
    P2pErrorCode.BUNDLE_TOO_MANY_ITEMS,
  );
});

codec('rejects an item above maxItemBytes: BUNDLE_ITEM_TOO_LARGE', () => {
  const b = encodeBundle([new Uint8Array(301)]);
  assert.is(
    codeOf(() => decodeBundle(b, LIMITS)),
    P2pErrorCode.BUNDLE_ITEM_TOO_LARGE,
  );
});

codec('decoded items do not alias the input buffer', () => {
  const b = encodeBundle([Uint8Array.of(9, 9)]);
  const [item] = decodeBundle(b, LIMITS);
  b.fill(0);
  assert.equal([...(item as Uint8Array)], [9, 9]);
});

codec.run();

const bundler = suite('TxBundler');

bundler('flushes at maxItems', () => {
  const out: Uint8Array[] = [];
  const b = new TxBundler({ maxItems: 3, maxBytes: 1 << 20, maxDelayMs: 60_000 }, { publish: (x) => out.push(x) });
  for (let i = 0; i < 7; i++) b.add(Uint8Array.of(i));
  assert.is(out.length, 2);
  assert.is(b.pending, 1);
  b.close();
  const all = out.flatMap((x) => decodeBundle(x, LIMITS)).map((x) => x[0]);
  assert.equal(all, [0, 1, 2, 3, 4, 5, 6]);
});

bundler('never publishes a bundle above maxBytes and keeps item order (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 200 }),
      fc.integer({ min: 310, max: 4000 }),
      (xs, maxBytes) => {
        const out: Uint8Array[] = [];
        const b = new TxBundler({ maxItems: 1000, maxBytes, maxDelayMs: 60_000 }, { publish: (x) => out.push(x) });
        for (const x of xs) b.add(x);
        b.close();
        for (const o of out) assert.ok(o.length <= maxBytes, `${o.length} > ${maxBytes}`);
        const back = out.flatMap((o) => decodeBundle(o, { maxItems: 1000, maxItemBytes: 300 }));
        assert.is(back.length, xs.length);
        for (const [i, x] of xs.entries()) assert.ok(equal(back[i] as Uint8Array, x));
      },
    ),
  );
});

bundler('flushes a partial bundle after maxDelayMs', async () => {
  const published = new Promise<Uint8Array>((resolve) => {
    const b = new TxBundler({ maxItems: 500, maxBytes: 1 << 20, maxDelayMs: 5 }, { publish: resolve });
    b.add(Uint8Array.of(1));
    b.add(Uint8Array.of(2));
  });
  assert.is(decodeBundle(await published, LIMITS).length, 2);
});

bundler('refuses an item that cannot fit any bundle, and items after close', () => {
  const b = new TxBundler({ maxItems: 10, maxBytes: 100, maxDelayMs: 5 }, { publish: () => {} });
  assert.is(
    codeOf(() => b.add(new Uint8Array(100))),
    P2pErrorCode.BUNDLE_ITEM_TOO_LARGE,
  );
  b.close();
  assert.is(
    codeOf(() => b.add(Uint8Array.of(1))),
    P2pErrorCode.CLOSED,
  );
});

bundler('reports publish failures to onError', () => {
  const errors: unknown[] = [];
  const b = new TxBundler(
    { maxItems: 1, maxBytes: 100, maxDelayMs: 5 },
    {
      publish: () => {
        throw new Error('down');
      },
      onError: (e) => errors.push(e),
    },
  );
  b.add(Uint8Array.of(1));
  assert.is(errors.length, 1);
});

bundler('headLength matches the CBOR head sizes', () => {
  assert.equal([0, 23, 24, 255, 256, 65535, 65536].map(headLength), [1, 1, 2, 2, 3, 3, 5]);
});

bundler.run();
