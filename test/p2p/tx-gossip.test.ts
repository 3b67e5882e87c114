import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeBundle } from '../../p2p/bundle.js';
import { defaultTxBundlerOptions } from '../../p2p/options.js';
import { type AdmitResult, TxGossipValidator } from '../../p2p/tx-gossip.js';
import { GossipReason, verdictOf } from '../../p2p/validation.js';
import { TX_MAX_BYTES } from '../../src/chain/tx.js';
import { toHex, utf8 } from '../../src/codec/bytes.js';
import { countingKvMempool, kvTx } from '../helpers/kv-machine.js';

/** A validator whose admission records what it is asked and answers `answer`. */
function counting(answer: (item: Uint8Array) => AdmitResult = () => ({ ok: true })) {
  const admitted: Uint8Array[][] = [];
  const v = new TxGossipValidator(defaultTxBundlerOptions, {
    admit: async (items) => {
      admitted.push([...items]);
      return items.map(answer);
    },
  });
  return { v, admitted };
}

const items = (n: number, size = 100): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => new Uint8Array(size).fill(i % 251));

test("tx gossip: limits are the sender's: 500 items pass, 501 are rejected before any admission", async () => {
  const { v, admitted } = counting();
  assert.is(await v.validate(encodeBundle(items(defaultTxBundlerOptions.maxItems))), 'accept');
  const r = await v.validate(encodeBundle(items(defaultTxBundlerOptions.maxItems + 1, 10)));
  assert.is(r, GossipReason.MALFORMED);
  assert.is(verdictOf(r), 'reject');
  assert.is(admitted.length, 1, 'the oversized bundle never reached admission');
});

test("tx gossip: a bundle above the sender's byte limit, or an item above TX_MAX_BYTES, is rejected unparsed", async () => {
  const { v, admitted } = counting();
  const big = encodeBundle(items(40, 8000)); // 40 × 8 KB > 256 KiB
  assert.ok(big.length > defaultTxBundlerOptions.maxBytes);
  assert.is(await v.validate(big), GossipReason.MALFORMED);
  assert.is(await v.validate(encodeBundle([new Uint8Array(TX_MAX_BYTES + 1)])), GossipReason.MALFORMED);
  assert.is(admitted.length, 0);
});

test('tx gossip: a tx found invalid is rejected again from the seen-cache, without admission', async () => {
  const { v, admitted } = counting(() => ({ ok: false, code: 'TX_BAD_SIGNATURE' }));
  const bundle = encodeBundle(items(3));
  assert.is(await v.validate(bundle), GossipReason.INVALID_TX);
  assert.is(await v.validate(encodeBundle([new Uint8Array(5), ...items(3)])), GossipReason.INVALID_TX);
  assert.is(admitted.length, 1);
});

test('tx gossip: a bundle of txs already admitted is ignored as DUPLICATE; only new items go to admission', async () => {
  const { v, admitted } = counting();
  const xs = items(3);
  assert.is(await v.validate(encodeBundle(xs)), 'accept');
  assert.is(await v.validate(encodeBundle(xs)), GossipReason.DUPLICATE);
  assert.is(verdictOf(GossipReason.DUPLICATE), 'ignore');
  const fresh = new Uint8Array(7);
  assert.is(await v.validate(encodeBundle([...xs, fresh])), 'accept');
  assert.equal(admitted[admitted.length - 1], [fresh]);
});

test('tx gossip: refusals that depend on this node (pool full, our clock) are ignored and retried later', async () => {
  let full = true;
  const { v, admitted } = counting(() => (full ? { ok: false, code: 'TX_MEMPOOL_FULL' } : { ok: true }));
  const b = encodeBundle(items(2));
  assert.is(await v.validate(b), GossipReason.NOT_ADMITTED);
  assert.is(verdictOf(GossipReason.NOT_ADMITTED), 'ignore');
  full = false;
  assert.is(await v.validate(b), 'accept');
  assert.is(admitted.length, 2);
});

test('tx gossip: with the real mempool, a repeated bundle of valid txs costs no second signature check', async () => {
  const { genesis: g, mempool, verified } = countingKvMempool('gossip-test');
  const v = new TxGossipValidator(defaultTxBundlerOptions, { admit: (xs) => mempool.addMany(xs) });
  const txs = [1, 2, 3].map((i) => kvTx(g.chainId, utf8(`k${i}`), utf8('v'), g.time + 60_000).bytes);
  assert.is(await v.validate(encodeBundle(txs)), 'accept');
  assert.is(verified(), 3);
  assert.is(await v.validate(encodeBundle(txs)), GossipReason.DUPLICATE);
  const forged = Uint8Array.from(kvTx(g.chainId, utf8('k4'), utf8('v'), g.time + 60_000).bytes);
  forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1; // the last signature byte
  assert.is(await v.validate(encodeBundle([forged])), GossipReason.INVALID_TX);
  assert.is(await v.validate(encodeBundle([forged])), GossipReason.INVALID_TX);
  assert.is(verified(), 4, 'the forged tx was verified once');
});

test('tx gossip: at most maxValidating bundles in validation at once; more are dropped unjudged (GOSSIP_BUSY, ignored)', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const v = new TxGossipValidator(
    { ...defaultTxBundlerOptions, maxValidating: 2 },
    {
      admit: async (xs) => {
        calls++;
        await gate;
        return xs.map(() => ({ ok: true }) as const);
      },
    },
  );
  const all = [1, 2, 3].map((i) => v.validate(encodeBundle([new Uint8Array(10).fill(i)])));
  release();
  assert.equal(await Promise.all(all), ['accept', 'accept', GossipReason.BUSY]);
  assert.is(verdictOf(GossipReason.BUSY), 'ignore');
  assert.is(calls, 2);
  assert.is(await v.validate(encodeBundle([new Uint8Array(10).fill(4)])), 'accept', 'slots are given back');
});

/** Admission that records what it is asked and answers once released. */
function gated(answer: (item: Uint8Array) => AdmitResult = () => ({ ok: true }), fail = false) {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const admitted: Uint8Array[][] = [];
  const v = new TxGossipValidator(defaultTxBundlerOptions, {
    admit: async (xs) => {
      admitted.push([...xs]);
      await gate;
      if (fail) throw new Error('pool closed');
      return xs.map(answer);
    },
  });
  return { v, admitted, release };
}

test('tx gossip: a tx being judged for another bundle is not admitted again; its bundle waits for that verdict', async () => {
  const { v, admitted, release } = gated();
  const [a, b] = items(2);
  const first = v.validate(encodeBundle([a as Uint8Array]));
  const copyOnly = v.validate(encodeBundle([a as Uint8Array]));
  const mixed = v.validate(encodeBundle([a as Uint8Array, b as Uint8Array]));
  release();
  assert.equal(await Promise.all([first, copyOnly, mixed]), ['accept', GossipReason.DUPLICATE, 'accept']);
  const hex = (xss: Uint8Array[][]) => xss.map((xs) => xs.map(toHex));
  assert.equal(hex(admitted), hex([[a as Uint8Array], [b as Uint8Array]]), 'a was admitted once');
});

test('tx gossip: a copy of a tx found invalid while it waited is rejected like the first', async () => {
  const { v, admitted, release } = gated(() => ({ ok: false, code: 'TX_BAD_SIGNATURE' }));
  const bundle = encodeBundle(items(1));
  const both = [v.validate(bundle), v.validate(encodeBundle([...items(1), new Uint8Array(3)]))];
  release();
  assert.equal(await Promise.all(both), [GossipReason.INVALID_TX, GossipReason.INVALID_TX]);
  assert.is(admitted.length, 2, 'the second bundle admitted only its new item');
  assert.is(admitted[1]?.length, 1);
});

test('tx gossip: an admission failure reaches every bundle waiting on it, none unhandled; the tx is judged again later', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const { v, admitted, release } = gated(undefined, true);
    const bundle = encodeBundle(items(1));
    const both = [v.validate(bundle), v.validate(bundle)].map((p) => p.catch((e: Error) => e.message));
    release();
    assert.equal(await Promise.all(both), ['pool closed', 'pool closed']);
    assert.is(await v.validate(bundle).catch((e: Error) => e.message), 'pool closed');
    assert.is(admitted.length, 2, 'nothing remembered from the failure');
    await new Promise((r) => setImmediate(r));
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('tx gossip: a forged tx repeated in a bundle: a copy waiting on it elsewhere is rejected too, not ignored', async () => {
  const { genesis: g, mempool, verified } = countingKvMempool('gossip-test');
  const v = new TxGossipValidator(defaultTxBundlerOptions, { admit: (xs) => mempool.addMany(xs) });
  const forged = Uint8Array.from(kvTx(g.chainId, utf8('k'), utf8('v'), g.time + 60_000).bytes);
  forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
  const both = [v.validate(encodeBundle([forged, forged])), v.validate(encodeBundle([forged]))];
  assert.equal(await Promise.all(both), [GossipReason.INVALID_TX, GossipReason.INVALID_TX]);
  assert.is(verified(), 1);
});

test.run();
