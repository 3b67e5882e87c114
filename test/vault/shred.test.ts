/**
 * The vault's shred path without a node: after the receipt is signed and stored, the custodian's
 * ATTEST_DELETION tx anchoring sha256(receiptPayload) is submitted (best effort), also from the
 * start-up reconcile path.
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
  warnings: string[];
}
const test = suite<Ctx>('vault shred: deletion attestation');

test.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'medchain-shred-'));
  ctx.store = await VaultStore.open(ctx.dir);
  ctx.submitted = [];
  ctx.fail = false;
  ctx.warnings = [];
  const blob = utf8('ciphertext');
  await ctx.store.putRecord(
    record,
    { patient, locator: sha256(blob), uploader: patient, size: 10, storedAt: NOW },
    blob,
  );
  const erased: PointerView = { patient, custodian: custodian.id, locator: null, erased: true };
  const chain: VaultChain = {
    chainId: CHAIN,
    identityKey: async () => undefined,
    checkAccess: async () => {
      throw new Error('unused');
    },
    record: async () => erased,
    submit: async (bytes) => {
      if (ctx.fail) throw Object.assign(new Error('refused'), { code: 'TX_EXPIRED' });
      ctx.submitted.push(bytes);
      return to0x(decodeTx(bytes).hash);
    },
  };
  ctx.service = new VaultService(defaultVaultOptions, {
    store: ctx.store,
    chain,
    custodian,
    log: { info: () => {}, warn: (_o, m) => ctx.warnings.push(m ?? '') },
    now: () => NOW,
  });
});
test.after.each(async (ctx) => {
  await ctx.store.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

function checkAttestation(bytes: Uint8Array, receipt: DeletionReceipt): void {
  const tx = decodeTx(bytes);
  assert.is(tx.kind, TxKind.ATTEST_DELETION);
  assert.is(tx.chainId, CHAIN);
  assert.ok(equal(tx.signer, custodian.id));
  assert.ok(equal(tx.pubkey, custodian.publicKey));
  assert.ok(verifyTxSignature(tx));
  assert.ok(tx.expiresAt > NOW && tx.expiresAt <= NOW + 10 * 60_000, 'within the expiry window');
  const b = decodeBody(tx) as AttestDeletionBody;
  assert.ok(equal(b.record, record));
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
  assert.equal(ctx.warnings, ['deletion attestation not submitted']);
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

test.run();
