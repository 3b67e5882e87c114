/**
 * Admission pushes back: from `maxVerifyBacklog` signatures waiting for the verifier, or once the
 * oldest has waited `maxVerifyWaitMs`, a bundle is refused whole with TX_NODE_BUSY before any work
 * (no decode, no verify), over RPC and gossip alike, and admission resumes once the backlog drains.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AddResult, defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import { encodeBundle } from '../../p2p/bundle.js';
import { defaultTxBundlerOptions } from '../../p2p/options.js';
import { TxGossipValidator } from '../../p2p/tx-gossip.js';
import { GossipReason, verdictOf } from '../../p2p/validation.js';
import { TxErrorCode } from '../../src/chain/tx.js';
import { toHex, utf8 } from '../../src/codec/bytes.js';
import { publicKeyOf, randomSecretKey, signFast, verify } from '../../src/crypto/ed25519.js';
import { VerifierPool, type VerifyItem } from '../../src/crypto/pool/index.js';
import { kvMachine, kvTx } from '../helpers/kv-machine.js';

const CHAIN = 'backlog-test';
const NOW = 1_700_000_000_000;

type Backlog = { signatures: number; waitMs: number };

function mempool(backlog: () => Backlog, verifyMany?: (items: VerifyItem[]) => Promise<boolean[]>) {
  let verified = 0;
  const m = new Mempool(
    { ...defaultMempoolOptions, maxVerifyBacklog: 64, maxVerifyWaitMs: 500 },
    {
      chainId: CHAIN,
      maxTxLifetimeMs: 600_000,
      clockSkewMs: 0,
      kind: (k) => kvMachine.kind(k),
      isIncluded: () => false,
      verifyMany:
        verifyMany ??
        (async (items) => {
          verified += items.length;
          return items.map((it) => verify(it.sig, it.msg, it.pk));
        }),
      verifyBacklog: backlog,
      now: () => NOW,
    },
  );
  return { m, verified: () => verified };
}

const tx = (i: number) => kvTx(CHAIN, utf8(`k${i}`), utf8(`v${i}`), NOW + 60_000);
const code = (r: AddResult | undefined) => (r && !r.ok ? r.code : 'OK');

test('at the backlog bound a bundle is refused whole with TX_NODE_BUSY before any verify, and admitted once it drains', async () => {
  let backlog: Backlog = { signatures: 64, waitMs: 0 };
  const { m, verified } = mempool(() => backlog);
  const bundle = [tx(1).bytes, tx(2).bytes, new Uint8Array([0xff])];
  assert.equal((await m.addMany(bundle)).map(code), [
    TxErrorCode.NODE_BUSY,
    TxErrorCode.NODE_BUSY,
    TxErrorCode.NODE_BUSY,
  ]);
  assert.is(verified(), 0);
  assert.is(m.size, 0);
  assert.is(m.admissionCounts().get(TxErrorCode.NODE_BUSY), 3);
  try {
    await m.add(tx(1).bytes);
    assert.unreachable('busy');
  } catch (err) {
    assert.is((err as { code?: string }).code, TxErrorCode.NODE_BUSY);
  }
  backlog = { signatures: 63, waitMs: 499 };
  assert.equal((await m.addMany(bundle)).map(code), ['OK', 'OK', TxErrorCode.MALFORMED]);
  assert.is(verified(), 2);
});

test('a few signatures that have waited maxVerifyWaitMs (slow workers) make admission refuse TX_NODE_BUSY too', async () => {
  let backlog: Backlog = { signatures: 3, waitMs: 500 };
  const { m, verified } = mempool(() => backlog);
  assert.equal((await m.addMany([tx(1).bytes])).map(code), [TxErrorCode.NODE_BUSY]);
  assert.is(verified(), 0);
  backlog = { signatures: 3, waitMs: 20 };
  assert.equal((await m.addMany([tx(1).bytes])).map(code), ['OK']);
});

test('with the verifier pool: a flood of queued checks makes admission answer TX_NODE_BUSY, then it recovers', async () => {
  const pool = new VerifierPool({ workers: 1, maxJobsPerWorker: 1, maxJobItems: 32 });
  try {
    const { m } = mempool(
      () => ({ signatures: pool.backlog(), waitMs: pool.waitMs() }),
      (items) => pool.verifyMany(items),
    );
    const sk = randomSecretKey();
    const pk = publicKeyOf(sk);
    const flood: VerifyItem[] = Array.from({ length: 320 }, (_, i) => {
      const msg = utf8(`flood ${i}`);
      return { msg, sig: signFast(msg, sk), pk };
    });
    const queued = pool.verifyMany(flood);
    assert.ok(pool.backlog() >= 64);
    assert.equal((await m.addMany([tx(1).bytes])).map(code), [TxErrorCode.NODE_BUSY]);
    assert.ok((await queued).every((ok) => ok));
    assert.is(pool.backlog(), 0);
    assert.equal((await m.addMany([tx(1).bytes])).map(code), ['OK']);
  } finally {
    await pool.close();
  }
});

test('tx gossip: a bundle a busy node refuses is ignored without penalty and judged again later', async () => {
  let backlog: Backlog = { signatures: 1000, waitMs: 0 };
  const { m } = mempool(() => backlog);
  const v = new TxGossipValidator(defaultTxBundlerOptions, { admit: (items) => m.addMany(items) });
  const bundle = encodeBundle([tx(1).bytes, tx(2).bytes]);
  const r = await v.validate(bundle);
  assert.is(verdictOf(r), 'ignore');
  assert.is(r, GossipReason.NOT_ADMITTED);
  backlog = { signatures: 0, waitMs: 0 };
  // Not remembered as judged: the same bundle is admitted (and forwarded) once the node has room.
  assert.is(await v.validate(bundle), 'accept');
  assert.equal(
    m.take(10, NOW, () => true).map((t) => toHex(t.hash)),
    [toHex(tx(1).hash), toHex(tx(2).hash)],
  );
});

test.run();
