import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AddResult,
  defaultMempoolOptions,
  Mempool,
  type MempoolDeps,
  type MempoolOptions,
} from '../../consensus/mempool.js';
import { leafHash } from '../../src/chain/merkle.js';
import { assembleTx, TX_MAX_BYTES, TxErrorCode } from '../../src/chain/tx.js';
import { toHex, utf8 } from '../../src/codec/bytes.js';
import { encode } from '../../src/codec/cbor.js';
import { verify } from '../../src/crypto/ed25519.js';
import { kvMachine, kvTx } from '../helpers/kv-machine.js';

const CHAIN = 'test-chain';
const NOW = 1_700_000_000_000;

const verifyAll: MempoolDeps['verifyMany'] = async (items) => items.map((it) => verify(it.sig, it.msg, it.pk));

function pool(opts: Partial<MempoolOptions> = {}, included = new Set<string>(), verifyMany = verifyAll) {
  return new Mempool(
    { ...defaultMempoolOptions, ...opts },
    {
      chainId: CHAIN,
      maxTxLifetimeMs: 600_000,
      clockSkewMs: 0,
      kind: (k) => kvMachine.kind(k),
      isIncluded: (h) => included.has(toHex(h)),
      verifyMany,
      now: () => NOW,
    },
  );
}

const tx = (i: number, expiresAt = NOW + 60_000) => kvTx(CHAIN, utf8(`k${i}`), utf8(`v${i}`), expiresAt);
const code = (r: AddResult | undefined) => (r && !r.ok ? r.code : 'OK');

test('admits valid transactions and takes them in arrival order', async () => {
  const m = pool();
  const txs = [tx(3), tx(1), tx(2)];
  const res = await m.addMany(txs.map((t) => t.bytes));
  assert.equal(res.map(code), ['OK', 'OK', 'OK']);
  assert.equal(
    m.take(10, NOW, () => true).map((t) => toHex(t.hash)),
    txs.map((t) => toHex(t.hash)),
  );
});

test('rejects TX_OVERSIZE before decoding', async () => {
  const [r] = await pool().addMany([new Uint8Array(TX_MAX_BYTES + 1)]);
  assert.is(code(r), TxErrorCode.OVERSIZE);
});

test('rejects TX_MALFORMED garbage, trailing bytes and non-canonical encodings', async () => {
  const good = tx(1).bytes;
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  // The same transaction with a non-minimal array header (0x98 0x02 instead of 0x82).
  const nonCanonical = new Uint8Array([0x98, 0x02, ...good.subarray(1)]);
  const res = await pool().addMany([new Uint8Array([0xff, 0x00]), trailing, nonCanonical]);
  assert.equal(res.map(code), [TxErrorCode.MALFORMED, TxErrorCode.MALFORMED, TxErrorCode.MALFORMED]);
});

test('rejects TX_WRONG_CHAIN, TX_UNKNOWN_KIND and TX_BAD_BODY', async () => {
  const base = tx(1);
  const wrongKind = assembleTx(
    { ...base, kind: 4242 },
    encode([CHAIN, 4242, base.signer, base.pubkey, base.expiresAt, base.nonce, base.body]),
    base.signature,
  );
  const badBody = assembleTx(
    { ...base, body: 'x' },
    encode([CHAIN, base.kind, base.signer, base.pubkey, base.expiresAt, base.nonce, 'x']),
    base.signature,
  );
  const res = await pool().addMany([
    kvTx('other', utf8('a'), utf8('b'), NOW + 1000).bytes,
    wrongKind.bytes,
    badBody.bytes,
  ]);
  assert.equal(res.map(code), [TxErrorCode.WRONG_CHAIN, TxErrorCode.UNKNOWN_KIND, 'CODEC_SHAPE']);
});

test('rejects TX_EXPIRED and TX_EXPIRY_TOO_FAR against the local clock', async () => {
  const res = await pool().addMany([tx(1, NOW - 1).bytes, tx(2, NOW + 600_001).bytes]);
  assert.equal(res.map(code), [TxErrorCode.EXPIRED, TxErrorCode.EXPIRY_TOO_FAR]);
});

test('rejects TX_DUPLICATE in the pool, in the same bundle, and already included', async () => {
  const t = tx(1);
  const included = new Set([toHex(tx(2).hash)]);
  const m = pool({}, included);
  const res = await m.addMany([t.bytes, t.bytes, tx(2).bytes]);
  assert.equal(res.map(code), ['OK', TxErrorCode.DUPLICATE, TxErrorCode.DUPLICATE]);
  assert.is(code((await m.addMany([t.bytes]))[0]), TxErrorCode.DUPLICATE);
});

test('rejects TX_BAD_SIGNATURE, checked last, and admits the rest of the bundle', async () => {
  const t = tx(1);
  const sig = t.signature.slice();
  sig[0] = (sig[0] as number) ^ 1;
  const forged = assembleTx(t, t.payload, sig);
  const m = pool();
  const res = await m.addMany([forged.bytes, tx(2).bytes]);
  assert.equal(res.map(code), [TxErrorCode.BAD_SIGNATURE, 'OK']);
  assert.is(m.size, 1);
});

test('hasVerified is false for the same payload with a different signature', async () => {
  const m = pool();
  const t = tx(1);
  await m.add(t.bytes);
  assert.ok(m.hasVerified(t));
  const sig = t.signature.slice();
  sig[5] = (sig[5] as number) ^ 1;
  assert.not.ok(m.hasVerified(assembleTx(t, t.payload, sig)));
});

test('rejects TX_MEMPOOL_FULL and TX_SENDER_LIMIT at their bounds', async () => {
  const full = await pool({ maxTxs: 2 }).addMany([tx(1).bytes, tx(2).bytes, tx(3).bytes]);
  assert.equal(full.map(code), ['OK', 'OK', TxErrorCode.MEMPOOL_FULL]);
  const sender = await pool({ maxPerSender: 1 }).addMany([tx(1).bytes, tx(2).bytes]);
  assert.equal(sender.map(code), ['OK', TxErrorCode.SENDER_LIMIT]);
});

test('update drops committed and expired transactions', async () => {
  const m = pool();
  const a = tx(1);
  const b = tx(2, NOW + 10);
  const c = tx(3);
  await m.addMany([a.bytes, b.bytes, c.bytes]);
  m.update([a], NOW + 11);
  assert.equal(
    m.take(10, NOW + 11, () => true).map((t) => toHex(t.hash)),
    [toHex(c.hash)],
  );
  assert.is(m.size, 1);
});

test('notifies listeners when transactions are added', async () => {
  const m = pool();
  let calls = 0;
  m.onAdded(() => calls++);
  await m.addMany([tx(1).bytes]);
  await m.addMany([tx(1).bytes]);
  assert.is(calls, 1);
});

/** A pool whose verifier counts items and answers once `release` is called (admissions stay in flight till then). */
function held(fail = false) {
  let verified = 0;
  let release = (): void => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const m = pool({}, new Set(), async (items) => {
    verified += items.length;
    await gate;
    if (fail) throw new Error('verifier closed');
    return verifyAll(items);
  });
  return { m, verified: () => verified, release };
}

const forge = (t: ReturnType<typeof tx>, at = 0) => {
  const sig = t.signature.slice();
  sig[at] = (sig[at] as number) ^ 1;
  return assembleTx(t, t.payload, sig);
};

test('a copy arriving while the first is verified waits for its verdict: one verify, then TX_DUPLICATE', async () => {
  const { m, verified, release } = held();
  const t = tx(1);
  const first = m.addMany([t.bytes]);
  const second = m.addMany([t.bytes, tx(2).bytes]);
  release();
  assert.equal((await first).map(code), ['OK']);
  assert.equal((await second).map(code), [TxErrorCode.DUPLICATE, 'OK']);
  assert.is(verified(), 2, 'tx 1 verified once, tx 2 once');
  assert.is(m.size, 2);
});

test('a differently signed copy in flight does not stand in for the real tx: each is verified on its own', async () => {
  const { m, verified, release } = held();
  const t = tx(1);
  const forged = m.addMany([forge(t).bytes]);
  const real = m.addMany([t.bytes]);
  release();
  assert.equal((await forged).map(code), [TxErrorCode.BAD_SIGNATURE]);
  assert.equal((await real).map(code), ['OK']);
  assert.is(verified(), 2);
  assert.ok(m.hasVerified(t));
});

test('both copies in one bundle, the forged one first: the real one is verified and admitted', async () => {
  const t = tx(1);
  const res = await pool().addMany([forge(t).bytes, t.bytes]);
  assert.equal(res.map(code), [TxErrorCode.BAD_SIGNATURE, 'OK']);
});

test('an identical copy of a tx whose verify fails gets the verdict TX_BAD_SIGNATURE, not TX_DUPLICATE', async () => {
  const { m, verified, release } = held();
  const bad = forge(tx(1)).bytes;
  const first = m.addMany([bad]);
  const second = m.addMany([bad]);
  release();
  assert.equal((await first).map(code), [TxErrorCode.BAD_SIGNATURE]);
  assert.equal((await second).map(code), [TxErrorCode.BAD_SIGNATURE]);
  assert.is(verified(), 1);
  assert.is(m.size, 0);
});

test('a verifier failure reaches every caller sharing the batch, unhandled by none; the next copy is verified again', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const { m, verified, release } = held(true);
    const t = tx(1);
    const first = m.addMany([t.bytes]).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    const second = m.addMany([t.bytes]).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    release();
    assert.equal(await Promise.all([first, second]), ['verifier closed', 'verifier closed']);
    const third = m.addMany([t.bytes]).catch((e: Error) => e.message);
    release();
    assert.is(await third, 'verifier closed');
    assert.is(verified(), 2, 'the failed verdict is not kept: the third copy is verified');
    await new Promise((r) => setImmediate(r));
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('known returns a pooled tx only for its exact bytes and leaf hash, and forgets it when it leaves', async () => {
  const m = pool();
  const t = tx(1);
  await m.add(t.bytes);
  assert.is(m.known(leafHash(t.bytes), t.bytes.slice())?.bytes, t.bytes);
  const f = forge(t, 3);
  assert.is(m.known(leafHash(t.bytes), f.bytes), undefined, 'same leaf claimed, other bytes');
  assert.is(m.known(leafHash(f.bytes), f.bytes), undefined);
  m.update([t], NOW);
  assert.is(m.known(leafHash(t.bytes), t.bytes), undefined);
});

test('single submissions of one event-loop turn are verified as one job, each with its own answer', async () => {
  const jobs: number[] = [];
  const m = pool({}, new Set(), async (items) => {
    jobs.push(items.length);
    return verifyAll(items);
  });
  const [a, b, c] = [tx(1), tx(2), tx(3)];
  const bad = new Uint8Array(c.bytes);
  (bad[bad.length - 1] as number) ^= 1; // the signature's last byte
  const answers = await Promise.allSettled([a, b, a].map((t) => m.add(t.bytes)).concat(m.add(bad)));
  assert.equal(jobs, [3], 'one verify job for the turn (the repeated tx is not verified twice)');
  assert.equal(
    answers.map((r) => (r.status === 'fulfilled' ? toHex(r.value) : (r.reason as { code: string }).code)),
    [toHex(a.hash), toHex(b.hash), TxErrorCode.DUPLICATE, TxErrorCode.BAD_SIGNATURE],
  );
  await m.add(tx(4).bytes); // a later turn: its own job
  assert.equal(jobs, [3, 1]);
});

test.run();
