/**
 * The disclosure invariant at the vault (issue #12 findings 1, 2, 5, 6): a record is served only
 * on the chain's final ok receipt of the requester's ACCESS tx for exactly that record, in a block
 * recent against the vault's clock; unauthenticated requests are never relayed to the mempool.
 */

import { encode } from 'cborg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateAccount } from '../../src/client/tx.js';
import { WRAPPED_BYTES } from '../../src/client/vault/crypto.js';
import { VaultErrorCode } from '../../src/client/vault/protocol.js';
import { equal, to0x, utf8 } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isCoded } from '../../src/errors.js';
import { signedHeader, VaultFixture } from './fake-chain.js';

const test = suite<{ f: VaultFixture }>('vault disclosure invariant');
const doc = generateAccount();

test.before.each(async (ctx) => {
  ctx.f = await VaultFixture.create();
  ctx.f.chain.register(doc);
});
test.after.each(async (ctx) => {
  await ctx.f.close();
});

async function refused(p: Promise<unknown>, code: string, reason?: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isCoded(err, code), String(err));
    if (reason !== undefined) assert.is((err as { meta: { reason?: string } }).meta.reason, reason);
    return;
  }
  assert.unreachable(`served; expected ${code}`);
}

test('serves on a final ok receipt of the ACCESS tx for exactly that record', async ({ f }) => {
  const { record, blob } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  const q = f.openRequest(doc, [record], 'TREAT');
  const s = await f.service.open(q.header, record, q.body);
  assert.ok(equal(s.blob, blob));
  const rc = f.chain.receipts.get(s.accessTx);
  assert.is(rc?.status, 'ok');
});

test('finding 1: an ACCESS tx that expired before inclusion serves nothing: VAULT_NOT_FINAL', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  // Signed with expiresAt a second in the past: the mempool takes it, no block ever includes it.
  const q = f.openRequest(doc, [record], 'TREAT', { lifetimeMs: -1_000 });
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.NOT_FINAL);
  assert.is(f.chain.receipts.size, 0);
});

test('finding 1: an ACCESS tx expired beyond the margin is refused without waiting', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  const q = f.openRequest(doc, [record], 'TREAT', { lifetimeMs: -4_000 });
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.NOT_FINAL, 'TX_EXPIRED');
  assert.is(f.chain.submits, 0);
});

test('finding 2: an ACCESS tx naming another record too is refused BAD_REQUEST and not relayed', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  const other = crypto.getRandomValues(new Uint8Array(32));
  const q = f.openRequest(doc, [record, other], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.BAD_REQUEST);
  assert.is(f.chain.submits, 0);
});

test('a denied receipt serves nothing: VAULT_DENIED with the chain’s reason', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  const q = f.openRequest(doc, [record], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.DENIED, 'NO_CONSENT');
  assert.is(f.chain.receipts.get(`0x${Buffer.from(q.tx.hash).toString('hex')}`)?.code, 'NO_CONSENT');
});

test('a consent revoked before the including block serves nothing', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  const c = f.grant(doc, record, 'TREAT', 3_600_000);
  const q = f.openRequest(doc, [record], 'TREAT');
  f.clock.now += 10;
  c.revokedAt = f.clock.now;
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.DENIED, 'NO_CONSENT');
});

test('finding 5: a stalled chain serves nothing though its head still shows the consent live: CHAIN_STALE', async ({
  f,
}) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 60_000);
  f.chain.produce();
  f.chain.stalled = true;
  // The consent expired in real time; the head's time still says it is live.
  f.clock.now += 120_000;
  const q = f.openRequest(doc, [record], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.CHAIN_STALE);
});

test('finding 5: a lagging node (including block older than maxChainLag) serves nothing: CHAIN_STALE', async ({
  f,
}) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  f.clock.now += 60_000;
  f.chain.lagMs = 20_000;
  const q = f.openRequest(doc, [record], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.CHAIN_STALE);
});

test('not final within finalityTimeoutMs on a live chain: NOT_FINAL', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  f.chain.produce();
  const q = f.openRequest(doc, [record], 'TREAT');
  // The node holds the tx but no block includes it in time; the head is recent.
  f.chain.waitFinal = async (_h, ms) => {
    f.clock.now += ms;
    f.chain.headTime = f.clock.now - 1_000;
    return undefined;
  };
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.NOT_FINAL);
});

test('finding 6: an open signed by an unregistered key is refused and nothing is relayed', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  const stranger = generateAccount();
  const q = f.openRequest(stranger, [record], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.KEY_MISMATCH);
  assert.is(f.chain.submits, 0);
  assert.is(f.service.junk.get(VaultErrorCode.KEY_MISMATCH), 1);
});

test('finding 6: an open signed by a key that is not the identity’s current key is not relayed', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  const old = generateAccount();
  const rotated = { ...old, id: doc.id };
  const q = f.openRequest(rotated, [record], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.KEY_MISMATCH);
  assert.is(f.chain.submits, 0);
});

test('a suspended identity is refused NOT_AUTHORIZED SUSPENDED and nothing is relayed', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  f.chain.suspended.add(to0x(doc.id));
  const q = f.openRequest(doc, [record], 'TREAT');
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.NOT_AUTHORIZED, 'SUSPENDED');
  assert.is(f.chain.submits, 0);
});

test('finding 6: a stale open request is refused and its tx not relayed', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.clock.now += 120_000;
  const q = f.openRequest(doc, [record], 'TREAT', { time: f.clock.now - 60_000 });
  await refused(f.service.open(q.header, record, q.body), VaultErrorCode.STALE_REQUEST);
  assert.is(f.chain.submits, 0);
});

test('one disclosure per ACCESS tx: a new request carrying a served tx is REPLAYED, also after a restart', async ({
  f,
}) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  const q = f.openRequest(doc, [record], 'TREAT');
  await f.service.open(q.header, record, q.body);
  // Same tx, fresh request.
  const h2 = signedHeader(doc, f.org.id, 'open', record, f.patient.id, q.tx.hash, 'TREAT', f.clock.now);
  await refused(f.service.open(h2, record, q.body), VaultErrorCode.REPLAYED);
  f.clock.now += 1_000;
  f.service = f.newService();
  const h3 = signedHeader(doc, f.org.id, 'open', record, f.patient.id, q.tx.hash, 'TREAT', f.clock.now);
  await refused(f.service.open(h3, record, q.body), VaultErrorCode.REPLAYED);
});

test('persisted access-tx nonces are purged once expired', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  f.grant(doc, record, 'TREAT', 3_600_000);
  const q = f.openRequest(doc, [record], 'TREAT');
  await f.service.open(q.header, record, q.body);
  assert.ok((await f.store.nonceRows()) > 0);
  f.clock.now += 10 * 60_000;
  assert.is(await f.service.purgeNonces(), 0);
  assert.is(await f.store.nonceRows(), 0);
});

test('(a) a future-dated put replayed after a restart is REPLAYED', async ({ f }) => {
  const record = crypto.getRandomValues(new Uint8Array(32));
  const blob = utf8('ciphertext');
  const h = signedHeader(f.patient, f.org.id, 'put', record, f.patient.id, sha256(blob), '', f.clock.now + 10_000);
  await f.service.put(h, record, blob);
  f.clock.now += 1_000;
  f.service = f.newService();
  await refused(f.service.put(h, record, blob), VaultErrorCode.REPLAYED);
});

test('an uploader who is not the patient cannot replace a deposited key; the patient can', async ({ f }) => {
  const { record } = await f.storeRecord(utf8('allergy'));
  const ptr = f.chain.pointers.get(to0x(record));
  const meta = f.store.getMeta(record);
  assert.ok(ptr && meta);
  // The blob was uploaded by the doctor (on the patient's behalf).
  await f.store.putRecord(
    record,
    { ...meta, uploader: doc.id },
    (await f.store.getBlob(meta.locator, meta.size)) as Uint8Array,
  );
  const bogus = encode([[f.org.id, new Uint8Array(32), new Uint8Array(WRAPPED_BYTES)]]);
  const keys = (a: typeof doc) =>
    f.service.putKeys(
      signedHeader(a, f.org.id, 'keys', record, f.patient.id, sha256(bogus), '', f.clock.now),
      record,
      bogus,
    );
  await refused(keys(doc), VaultErrorCode.NOT_AUTHORIZED, undefined);
  assert.is((await keys(f.patient)).stored, 1);
});

test.run();
