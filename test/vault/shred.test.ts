/**
 * The vault's shred path without a node: after the receipt is signed and stored, the custodian's
 * ATTEST_DELETION tx anchoring sha256(receiptPayload) is submitted, also from the start-up
 * reconcile path; a refused or expired attestation is re-submitted by reconcile until the chain
 * shows it. The fake chain applies the rule of state/domain/records.ts attestDeletion when asked
 * (`include`): one attestation per record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../src/chain/genesis.js';
import { decodeTx } from '../../src/chain/tx.js';
import { type DeletionReceipt, receiptPayload } from '../../src/client/vault/protocol.js';
import { equal, to0x, utf8 } from '../../src/codec/bytes.js';
import { publicKeyOf } from '../../src/crypto/ed25519.js';
import { type AttestDeletionBody, decodeBody } from '../../src/tx/bodies.js';
import { TxKind } from '../../src/tx/kinds.js';
import { verifyTxSignature } from '../../src/tx/sign.js';
import type { PointerView, VaultChain } from '../../src/vault/chain.js';
import { defaultVaultOptions, VaultService, VaultStore, verifyReceipt } from '../../src/vault/index.js';

const CHAIN = 'medchain-shred';
const NOW = 1_700_000_000_000;
const sk = sha256(utf8('custodian'));
const pk = publicKeyOf(sk);
const custodian = { id: identityId(pk), secretKey: sk, publicKey: pk };
const record = sha256(utf8('record-1'));
const patient = sha256(utf8('patient'));

interface Ctx {
  dir: string;
  store: VaultStore;
  service: VaultService;
  submitted: Uint8Array[];
  fail: boolean;
  warnings: { obj: object; msg: string }[];
  infos: string[];
  now: number;
  /** Submitted attestations are included at once (else they stay in the "mempool"). */
  include: boolean;
  /** The chain's deletionReceipt per record (hex id). */
  attested: Map<string, Uint8Array>;
  /** Included twins, failed ALREADY_ATTESTED. */
  twins: number;
  lookups: number;
}
const test = suite<Ctx>('vault shred: deletion attestation');

async function putRecord(store: VaultStore, id: Uint8Array, blob: Uint8Array): Promise<void> {
  await store.putRecord(
    id,
    { patient, locator: sha256(blob), uploader: patient, size: blob.length, storedAt: NOW },
    blob,
  );
}

test.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'medchain-shred-'));
  ctx.store = await VaultStore.open(ctx.dir);
  ctx.submitted = [];
  ctx.fail = false;
  ctx.warnings = [];
  ctx.infos = [];
  ctx.now = NOW;
  ctx.include = false;
  ctx.attested = new Map();
  ctx.twins = 0;
  ctx.lookups = 0;
  await putRecord(ctx.store, record, utf8('ciphertext'));
  const chain: VaultChain = {
    chainId: CHAIN,
    identity: async () => undefined,
    waitFinal: async () => undefined,
    head: async () => ({ height: 0, time: 0 }),
    record: async (id): Promise<PointerView> => {
      ctx.lookups++;
      return {
        patient,
        custodian: custodian.id,
        locator: null,
        erased: true,
        deletionReceipt: ctx.attested.get(to0x(id)) ?? null,
      };
    },
    submit: async (bytes) => {
      if (ctx.fail) throw Object.assign(new Error('refused'), { code: 'TX_EXPIRED' });
      ctx.submitted.push(bytes);
      const tx = decodeTx(bytes);
      if (ctx.include) {
        const b = decodeBody(tx) as AttestDeletionBody;
        if (ctx.attested.has(to0x(b.record))) ctx.twins++;
        else ctx.attested.set(to0x(b.record), b.receiptHash);
      }
      return to0x(tx.hash);
    },
  };
  ctx.service = new VaultService(defaultVaultOptions, {
    store: ctx.store,
    chain,
    custodian,
    log: { info: (_o, m) => ctx.infos.push(m ?? ''), warn: (obj, m) => ctx.warnings.push({ obj, msg: m ?? '' }) },
    now: () => ctx.now,
  });
});
test.after.each(async (ctx) => {
  await ctx.store.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

function checkAttestation(bytes: Uint8Array, receipt: DeletionReceipt, now = NOW, id = record): void {
  const tx = decodeTx(bytes);
  assert.is(tx.kind, TxKind.ATTEST_DELETION);
  assert.is(tx.chainId, CHAIN);
  assert.ok(equal(tx.signer, custodian.id));
  assert.ok(equal(tx.pubkey, custodian.publicKey));
  assert.ok(verifyTxSignature(tx));
  assert.ok(tx.expiresAt > now && tx.expiresAt <= now + 10 * 60_000, 'within the expiry window');
  const b = decodeBody(tx) as AttestDeletionBody;
  assert.ok(equal(b.record, id));
  assert.ok(equal(b.receiptHash, sha256(receiptPayload(receipt))));
  assert.is(receipt.attestTx, to0x(tx.hash));
}

test('shred signs and stores the receipt, then submits the custodian ATTEST_DELETION of its hash', async (ctx) => {
  const r = (await ctx.service.shred(record, `0x${'ab'.repeat(32)}`, 7)) as DeletionReceipt;
  assert.ok(r);
  assert.is(ctx.submitted.length, 1);
  checkAttestation(ctx.submitted[0] as Uint8Array, r);
  // served with attestTx; the signature (over receiptPayload only) still verifies
  const served = JSON.parse((await ctx.service.receipt(record)) as string) as DeletionReceipt;
  assert.equal(served, r);
  assert.ok(verifyReceipt(served, CHAIN, custodian.publicKey));
  // idempotent: no second shred, no second attestation
  assert.equal(await ctx.service.shred(record, `0x${'ab'.repeat(32)}`, 7), r);
  assert.is(ctx.submitted.length, 1);
  assert.equal(ctx.warnings, []);
});

test('a refused attestation is logged; the receipt is still stored and served, without attestTx', async (ctx) => {
  ctx.fail = true;
  const r = (await ctx.service.shred(record, '', 0)) as DeletionReceipt;
  assert.is(r.attestTx, undefined);
  assert.equal(
    ctx.warnings.map((w) => w.msg),
    ['deletion attestation not submitted'],
  );
  const served = JSON.parse((await ctx.service.receipt(record)) as string) as DeletionReceipt;
  assert.is(served.attestTx, undefined);
  assert.ok(verifyReceipt(served, CHAIN, custodian.publicKey));
});

test('reconcile (an erasure found at start-up) shreds and attests too', async (ctx) => {
  assert.is(await ctx.service.reconcile(), 1);
  const served = JSON.parse((await ctx.service.receipt(record)) as string) as DeletionReceipt;
  assert.is(served.eraseTx, '');
  assert.is(ctx.submitted.length, 1);
  checkAttestation(ctx.submitted[0] as Uint8Array, served);
});

const stored = async (ctx: Ctx, id = record): Promise<DeletionReceipt> =>
  JSON.parse((await ctx.service.receipt(id)) as string) as DeletionReceipt;

test('a refused attestation is re-submitted by a later reconcile; then the chain holds exactly one', async (ctx) => {
  ctx.fail = true;
  const r = (await ctx.service.shred(record, `0x${'cd'.repeat(32)}`, 9)) as DeletionReceipt;
  assert.is(r.attestTx, undefined);
  assert.is(ctx.submitted.length, 0);
  // the node is back
  ctx.fail = false;
  ctx.include = true;
  ctx.now = NOW + 30_000;
  assert.is(await ctx.service.reconcile(), 0, 'nothing left to shred');
  assert.is(ctx.submitted.length, 1);
  const served = await stored(ctx);
  checkAttestation(ctx.submitted[0] as Uint8Array, served, ctx.now);
  assert.ok(equal(ctx.attested.get(to0x(record)) as Uint8Array, sha256(receiptPayload(r))));
  // the receipt itself is unchanged (same signed payload), only attestTx is new
  assert.equal({ ...served, attestTx: undefined }, { ...r, attestTx: undefined });
  assert.ok(verifyReceipt(served, CHAIN, custodian.publicKey));
  // the next pass finds it on chain and settles it; later passes neither submit nor ask the chain
  const asked = ctx.lookups;
  assert.is(await ctx.service.reconcile(), 0);
  assert.is(ctx.lookups, asked + 1);
  assert.is(await ctx.service.attestPending(), 0);
  assert.is(ctx.submitted.length, 1);
  assert.is(ctx.lookups, asked + 1);
  assert.is(ctx.twins, 0);
});

test('a stored receipt never submitted (crash after storing it) is attested by reconcile', async (ctx) => {
  // what a crash between putReceipt and submit leaves: a receipt, no record, nothing on chain
  ctx.fail = true;
  const r = (await ctx.service.shred(record, '', 0)) as DeletionReceipt;
  ctx.fail = false;
  const restarted = new VaultService(defaultVaultOptions, { ...ctx.service.deps });
  assert.is(await restarted.reconcile(), 0);
  assert.is(ctx.submitted.length, 1);
  checkAttestation(ctx.submitted[0] as Uint8Array, await stored(ctx), NOW);
  assert.is((await stored(ctx)).signature, r.signature);
});

test('chain already shows the matching deletionReceipt: reconcile submits nothing and warns nothing', async (ctx) => {
  ctx.fail = true;
  const r = (await ctx.service.shred(record, '', 0)) as DeletionReceipt;
  ctx.fail = false;
  ctx.warnings = [];
  ctx.attested.set(to0x(record), sha256(receiptPayload(r)));
  assert.is(await ctx.service.reconcile(), 0);
  assert.is(ctx.submitted.length, 0);
  assert.equal(ctx.warnings, []);
  // settled in the store
  const asked = ctx.lookups;
  assert.is(await ctx.service.attestPending(), 0);
  assert.is(ctx.lookups, asked);
});

test('chain shows a different deletionReceipt: a warning with ids only, nothing submitted, once', async (ctx) => {
  ctx.fail = true;
  await ctx.service.shred(record, '', 0);
  ctx.fail = false;
  ctx.warnings = [];
  const other = sha256(utf8('another receipt'));
  ctx.attested.set(to0x(record), other);
  assert.is(await ctx.service.attestPending(), 0);
  assert.is(ctx.submitted.length, 0);
  assert.equal(ctx.warnings, [
    { obj: { record: to0x(record), onChain: to0x(other) }, msg: 'chain shows a different deletion receipt' },
  ]);
  assert.is(await ctx.service.attestPending(), 0);
  assert.is(ctx.warnings.length, 1);
});

test('a submitted attestation is not twinned until a minute past its expiry; then it is re-submitted', async (ctx) => {
  const r = (await ctx.service.shred(record, '', 0)) as DeletionReceipt;
  assert.is(ctx.submitted.length, 1);
  const first = decodeTx(ctx.submitted[0] as Uint8Array);
  // still in the "mempool"
  assert.is(await ctx.service.reconcile(), 0);
  ctx.now = first.expiresAt + 59_999;
  assert.is(await ctx.service.attestPending(), 0);
  assert.is(ctx.submitted.length, 1);
  // expired without being included (and past the node's grace): a fresh tx for the same receipt
  ctx.now = first.expiresAt + 60_000;
  ctx.include = true;
  assert.is(await ctx.service.attestPending(), 1);
  assert.is(ctx.submitted.length, 2);
  const served = await stored(ctx);
  checkAttestation(ctx.submitted[1] as Uint8Array, served, ctx.now);
  assert.is.not(served.attestTx, r.attestTx);
  assert.ok(equal(ctx.attested.get(to0x(record)) as Uint8Array, sha256(receiptPayload(r))));
});

test('at most `limit` submissions per pass; the rest on the next passes; one pass at a time', async (ctx) => {
  const ids = [record, sha256(utf8('record-2')), sha256(utf8('record-3'))];
  for (const [i, id] of ids.entries()) if (i > 0) await putRecord(ctx.store, id, utf8(`ciphertext-${i}`));
  ctx.fail = true;
  for (const id of ids) await ctx.service.shred(id, '', 0);
  ctx.fail = false;
  ctx.include = true;
  const [a, b] = await Promise.all([ctx.service.attestPending(2), ctx.service.attestPending(2)]);
  assert.is(a, 2);
  assert.is(b, 2, 'the same pass');
  assert.is(ctx.submitted.length, 2);
  assert.is(await ctx.service.attestPending(2), 1);
  assert.is(await ctx.service.attestPending(2), 0);
  assert.is(ctx.submitted.length, 3);
  assert.is(ctx.twins, 0);
  for (const id of ids) {
    const r = await stored(ctx, id);
    assert.ok(equal(ctx.attested.get(to0x(id)) as Uint8Array, sha256(receiptPayload(r))));
  }
});

test('a refusal stops the pass (the next one retries)', async (ctx) => {
  const id2 = sha256(utf8('record-2'));
  await putRecord(ctx.store, id2, utf8('ciphertext-2'));
  ctx.fail = true;
  await ctx.service.shred(record, '', 0);
  await ctx.service.shred(id2, '', 0);
  ctx.warnings = [];
  assert.is(await ctx.service.attestPending(), 0);
  assert.is(ctx.warnings.length, 1, 'one refusal, then stop');
  ctx.fail = false;
  assert.is(await ctx.service.attestPending(), 2);
});

test.run();
