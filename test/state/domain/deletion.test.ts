import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { equal, utf8 } from '../../../src/codec/bytes.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { Purpose, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { recordKey } from '../../../state/domain/keys.js';
import { decodeRecord, encodeRecord, RecordFlag } from '../../../state/domain/values.js';
import { recordsByPatient } from '../../../state/index/query.js';
import { type Actor, actor, expectDenied, expectFailed, expectOk, expectRefused, rid, TestChain } from './helpers.js';

interface Ctx {
  c: TestChain;
  alice: Actor;
  custodian: Actor;
}
const test = suite<Ctx>('deletion attestation (ATTEST_DELETION)');

test.before.each(async (ctx) => {
  ctx.c = await TestChain.open();
  ctx.alice = await ctx.c.registerPatient('alice');
  ctx.custodian = ctx.c.orgs[0] as Actor;
  expectOk(await ctx.c.addRecord(ctx.alice, ctx.alice, 'allergy-1', 0, ctx.custodian));
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const receiptHash = sha256(utf8('canonical receipt payload'));
const attest = (c: TestChain, who: Actor, record = rid('allergy-1'), hash = receiptHash) =>
  c.tx(TxKind.ATTEST_DELETION, who, { record, receiptHash: hash });
const erase = (c: TestChain, who: Actor) => c.tx(TxKind.ERASE_RECORD, who, { record: rid('allergy-1') });
const stored = (c: TestChain) => decodeRecord(c.store.get(recordKey(rid('allergy-1'))) as Uint8Array);

test('the custodian attests an erased record: the tombstone keeps the receipt hash, the patient sees the event', async ({
  c,
  alice,
  custodian,
}) => {
  expectOk(await c.run(erase(c, alice)));
  const before = stored(c);
  assert.is(before.deletionReceipt, undefined);
  const r = await c.run(attest(c, custodian));
  expectOk(r);
  const ev = r.events[0];
  assert.is(ev?.type, 'record.deletion_attested');
  assert.ok(equal(ev?.attrs.record as Uint8Array, rid('allergy-1')));
  assert.ok(equal(ev?.attrs.patient as Uint8Array, alice.id));
  assert.ok(equal(ev?.attrs.custodian as Uint8Array, custodian.id));
  assert.ok(equal(ev?.attrs.receiptHash as Uint8Array, receiptHash));
  const after = stored(c);
  assert.ok(equal(after.deletionReceipt as Uint8Array, receiptHash));
  // nothing else of the tombstone moves
  assert.ok(equal(encodeRecord({ ...after, deletionReceipt: undefined }), encodeRecord(before)));
  assert.ok(after.flags & RecordFlag.ERASED);
  assert.is(after.commitment.length, 0);
  // still a tombstone for every rule that reads it
  expectDenied(
    await c.run(c.tx(TxKind.ACCESS, alice, { patient: alice.id, records: [rid('allergy-1')], purpose: Purpose.TREAT })),
    ReasonCode.ERASED,
  );
  expectFailed(await c.run(erase(c, alice)), ReasonCode.ERASED);
  // the patient's trail lists it after the erasure
  const trail = await recordsByPatient(c.db, alice.id);
  assert.equal(
    trail.entries.map((e) => e.type),
    ['record.added', 'record.erased', 'record.deletion_attested'],
  );
});

test('a pointer without an attestation keeps its 9-field encoding; with one it round-trips', async ({ c }) => {
  const v = c.store.get(recordKey(rid('allergy-1'))) as Uint8Array;
  const r = decodeRecord(v);
  assert.ok(equal(encodeRecord(r), v));
  const withHash = { ...r, deletionReceipt: receiptHash };
  assert.ok(equal(decodeRecord(encodeRecord(withHash)).deletionReceipt as Uint8Array, receiptHash));
});

test('one attestation per record: a second one fails ALREADY_ATTESTED and keeps the first hash', async ({
  c,
  alice,
  custodian,
}) => {
  expectOk(await c.run(erase(c, alice)));
  expectOk(await c.run(attest(c, custodian)));
  expectFailed(await c.run(attest(c, custodian, rid('allergy-1'), sha256(utf8('other')))), ReasonCode.ALREADY_ATTESTED);
  expectFailed(await c.run(attest(c, custodian)), ReasonCode.ALREADY_ATTESTED);
  assert.ok(equal(stored(c).deletionReceipt as Uint8Array, receiptHash));
});

test('a live record cannot be attested: NOT_ERASED (nor one under legal hold)', async ({ c, custodian }) => {
  expectFailed(await c.run(attest(c, custodian)), ReasonCode.NOT_ERASED);
  expectOk(await c.run(c.tx(TxKind.SET_LEGAL_HOLD, custodian, { record: rid('allergy-1'), hold: true })));
  expectFailed(await c.run(attest(c, custodian)), ReasonCode.NOT_ERASED);
  assert.is(stored(c).deletionReceipt, undefined);
});

test('only the record custodian organization attests: NOT_AUTHORIZED, WRONG_IDENTITY_TYPE', async ({ c, alice }) => {
  expectOk(await c.run(erase(c, alice)));
  // another organization
  expectFailed(await c.run(attest(c, c.orgs[1] as Actor)), ReasonCode.NOT_AUTHORIZED);
  // the patient (not an organization)
  expectFailed(await c.run(attest(c, alice)), ReasonCode.WRONG_IDENTITY_TYPE);
  // a practitioner employed by the custodian
  const dr = await c.registerPractitioner('dr-bob', c.orgs[0]);
  expectFailed(await c.run(attest(c, dr)), ReasonCode.WRONG_IDENTITY_TYPE);
  assert.is(stored(c).deletionReceipt, undefined);
});

test('an unknown record is UNKNOWN_RECORD; an unknown signer UNKNOWN_IDENTITY; a wrong key KEY_MISMATCH', async ({
  c,
  alice,
  custodian,
}) => {
  expectFailed(await c.run(attest(c, custodian, rid('nope'))), ReasonCode.UNKNOWN_RECORD);
  expectRefused(c, attest(c, actor('stranger')), ReasonCode.UNKNOWN_IDENTITY);
  expectOk(await c.run(erase(c, alice)));
  const impostor = actor('impostor');
  expectRefused(
    c,
    attest(c, { ...impostor, id: custodian.id }, rid('allergy-1'), receiptHash),
    ReasonCode.KEY_MISMATCH,
  );
  expectOk(await c.run(attest(c, custodian)));
});

test.run();
