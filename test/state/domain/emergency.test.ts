import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { equal } from '../../../src/codec/bytes.js';
import { CredentialType, Purpose, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { recordKey } from '../../../state/domain/keys.js';
import { decodeRecord, RecordFlag } from '../../../state/domain/values.js';
import { disclosures, flags, recordsByPatient } from '../../../state/index/query.js';
import { type Actor, DAY, expectDenied, expectFailed, expectOk, HOUR, rid, TestChain } from './helpers.js';

interface Ctx {
  c: TestChain;
  alice: Actor;
  drEve: Actor;
}
const test = suite<Ctx>('break-glass and erasure');

test.before.each(async (ctx) => {
  ctx.c = await TestChain.open();
  ctx.alice = await ctx.c.registerPatient('alice');
  ctx.drEve = await ctx.c.registerPractitioner('dr-eve', ctx.c.orgs[1], [
    CredentialType.LICENSE,
    CredentialType.EMERGENCY,
  ]);
  expectOk(await ctx.c.addRecord(ctx.alice, ctx.alice, 'allergy-1', 0));
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const breakGlass = (c: TestChain, who: Actor, patient: Actor) =>
  c.tx(TxKind.BREAK_GLASS, who, { patient: patient.id, reason: Purpose.ETREAT });
const read = (c: TestChain, who: Actor, patient: Actor, purpose: number = Purpose.ETREAT) =>
  c.tx(TxKind.ACCESS, who, { patient: patient.id, records: [rid('allergy-1')], purpose });

test('break-glass needs the emergency credential: DENIED NOT_CREDENTIALED and flagged', async ({ c, alice }) => {
  const drNo = await c.registerPractitioner('dr-no');
  expectDenied(await c.run(breakGlass(c, drNo, alice)), ReasonCode.NOT_CREDENTIALED);
  expectDenied(await c.run(read(c, drNo, alice)), ReasonCode.NO_CONSENT);
  const f = await flags(c.db);
  assert.ok(f.entries.some((e) => e.type === 'emergency.denied'));
  expectFailed(await c.run(breakGlass(c, c.orgs[0] as Actor, alice)), ReasonCode.WRONG_IDENTITY_TYPE);
});

test('break-glass access is granted without consent, flagged emergency, time-boxed, and visible to the patient', async ({
  c,
  alice,
  drEve,
}) => {
  expectDenied(await c.run(read(c, drEve, alice)), ReasonCode.NO_CONSENT);
  const bg = breakGlass(c, drEve, alice);
  expectOk(await c.run(bg));
  const opened = c.time;
  const r = await c.run(read(c, drEve, alice));
  expectOk(r);
  const ev = r.events.find((e) => e.type === 'access');
  assert.is(ev?.attrs.emergency, true);
  assert.ok(equal(ev?.attrs.session as Uint8Array, bg.hash));
  // a non-emergency purpose does not ride on the session
  expectDenied(await c.run(read(c, drEve, alice, Purpose.TREAT)), ReasonCode.NO_CONSENT);
  // after the box (24 h of block time) it is over
  expectDenied(await c.run(read(c, drEve, alice), opened + c.params.policy.breakGlassMs), ReasonCode.NO_CONSENT);
  // the patient's accounting of disclosures shows the opening and the emergency access
  const d = await disclosures(c.db, alice.id);
  const types = d.entries.map((e) => `${e.type}:${e.attrs.emergency ?? ''}:${e.attrs.granted ?? ''}`);
  assert.ok(types.includes('emergency.opened::'));
  assert.ok(types.includes('access:true:true'));
  const em = d.entries.find((e) => e.type === 'emergency.opened');
  assert.is(em?.attrs.reason, 'ETREAT');
});

test('revoking the EMERGENCY credential ends open break-glass sessions: the next access is denied', async ({
  c,
  alice,
  drEve,
}) => {
  expectOk(await c.run(breakGlass(c, drEve, alice)));
  expectOk(await c.run(read(c, drEve, alice)));
  const org = c.orgs[1] as Actor;
  expectOk(
    await c.run(
      c.tx(TxKind.REVOKE_CREDENTIAL, org, { practitioner: drEve.id, credType: CredentialType.EMERGENCY, qualifier: 0 }),
    ),
  );
  // still inside the 24-hour box, but the privilege is gone
  expectDenied(await c.run(read(c, drEve, alice)), ReasonCode.NO_CONSENT);
});

test('an EMERGENCY credential expiring in block time ends the session with it', async ({ c, alice }) => {
  const org = c.orgs[1] as Actor;
  const drKim = await c.registerPractitioner('dr-kim', org, [CredentialType.LICENSE]);
  await c.issue(org, drKim, CredentialType.EMERGENCY, c.time + 2 * HOUR);
  expectOk(await c.run(breakGlass(c, drKim, alice)));
  expectOk(await c.run(read(c, drKim, alice), c.time + HOUR));
  // the session's box is 24 h; the credential ended at 2 h: judged at the block's time
  expectDenied(await c.run(read(c, drKim, alice), c.time + 2 * HOUR), ReasonCode.NO_CONSENT);
});

test('the practitioner organization reviews the emergency once; others cannot', async ({ c, alice, drEve }) => {
  const bg = breakGlass(c, drEve, alice);
  expectOk(await c.run(bg));
  const review = (org: Actor, justified: boolean) =>
    c.tx(TxKind.REVIEW_EMERGENCY, org, { session: bg.hash, justified });
  expectFailed(await c.run(review(c.orgs[0] as Actor, true)), ReasonCode.NOT_AUTHORIZED);
  const r = await c.run(review(c.orgs[1] as Actor, false));
  expectOk(r);
  assert.equal(
    r.events.map((e) => [e.type, e.attrs.justified, e.attrs.late]),
    [['emergency.reviewed', false, false]],
  );
  expectFailed(await c.run(review(c.orgs[1] as Actor, true)), ReasonCode.ALREADY_REVIEWED);
  expectFailed(
    await c.run(c.tx(TxKind.REVIEW_EMERGENCY, c.orgs[1] as Actor, { session: rid('none'), justified: true })),
    ReasonCode.NOT_FOUND,
  );
  // a reviewed emergency is never flagged overdue
  const e = await c.block([], c.time + c.params.policy.reviewDeadlineMs + 2 * HOUR);
  assert.is(e.receipts.length, 0);
});

test('an unreviewed emergency past the review deadline is flagged overdue by endBlock, once', async ({
  c,
  alice,
  drEve,
}) => {
  const bg = breakGlass(c, drEve, alice);
  expectOk(await c.run(bg));
  const deadline = c.time + c.params.policy.reviewDeadlineMs;
  const before = await c.block([], deadline - 1000);
  assert.is(before.receipts.length, 0, 'not overdue before the deadline');
  const after = await c.block([], deadline + 2 * 60_000);
  const events = after.receipts.flatMap((r) => r.events);
  assert.equal(
    events.map((e) => e.type),
    ['emergency.overdue'],
  );
  assert.ok(equal(events[0]?.attrs.session as Uint8Array, bg.hash));
  const later = await c.block([], deadline + DAY);
  assert.is(later.receipts.length, 0, 'flagged once');
  const f = await flags(c.db);
  assert.ok(f.entries.some((e) => e.type === 'emergency.overdue'));
  // a late review is still recorded, marked late
  const r = await c.run(c.tx(TxKind.REVIEW_EMERGENCY, c.orgs[1] as Actor, { session: bg.hash, justified: true }));
  assert.is(r.events[0]?.attrs.late, true);
});

test('erasure: tombstone without locator or commitment, later access denied ERASED, custodian event', async ({
  c,
  alice,
}) => {
  const lab = c.orgs[2] as Actor;
  expectOk(
    await c.run(
      c.tx(TxKind.GRANT_CONSENT, alice, {
        patient: alice.id,
        grantee: lab.id,
        records: [rid('allergy-1')],
        types: 1,
        actions: 1,
        purposes: 2,
        notBefore: c.time,
        expiresAt: c.time + DAY,
      }),
    ),
  );
  expectOk(await c.run(read(c, lab, alice, Purpose.TREAT)));
  const r = await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('allergy-1') }));
  expectOk(r);
  const ev = r.events[0];
  assert.is(ev?.type, 'record.erased');
  assert.ok(equal(ev?.attrs.custodian as Uint8Array, (c.orgs[0] as Actor).id));
  const stored = decodeRecord(c.store.get(recordKey(rid('allergy-1'))) as Uint8Array);
  assert.is(stored.locator.length, 0);
  assert.is(stored.commitment.length, 0);
  assert.ok(stored.flags & RecordFlag.ERASED);
  expectDenied(await c.run(read(c, lab, alice, Purpose.TREAT)), ReasonCode.ERASED);
  expectDenied(await c.run(read(c, alice, alice, Purpose.TREAT)), ReasonCode.ERASED);
  expectFailed(await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('allergy-1') })), ReasonCode.ERASED);
  // the record id cannot be reused for new content
  expectFailed(await c.addRecord(alice, alice, 'allergy-1', 0), ReasonCode.ALREADY_EXISTS);
});

test('break-glass does not reach an erased record: ERASED', async ({ c, alice, drEve }) => {
  expectOk(await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('allergy-1') })));
  expectOk(await c.run(breakGlass(c, drEve, alice)));
  expectDenied(await c.run(read(c, drEve, alice)), ReasonCode.ERASED);
});

test('a legal hold by the custodian blocks erasure visibly (DENIED LEGAL_HOLD with an event); released, erasure works', async ({
  c,
  alice,
}) => {
  const custodian = c.orgs[0] as Actor;
  const hold = (org: Actor, on: boolean) => c.tx(TxKind.SET_LEGAL_HOLD, org, { record: rid('allergy-1'), hold: on });
  expectFailed(await c.run(hold(c.orgs[1] as Actor, true)), ReasonCode.NOT_AUTHORIZED);
  expectOk(await c.run(hold(custodian, true)));
  const blocked = await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('allergy-1') }));
  expectDenied(blocked, ReasonCode.LEGAL_HOLD);
  assert.is(blocked.events[0]?.type, 'record.erase_blocked');
  const stored = decodeRecord(c.store.get(recordKey(rid('allergy-1'))) as Uint8Array);
  assert.ok(stored.locator.length > 0, 'nothing erased');
  const listed = await recordsByPatient(c.db, alice.id);
  assert.equal(
    listed.entries.map((e) => e.type),
    ['record.added', 'record.hold', 'record.erase_blocked'],
  );
  expectOk(await c.run(hold(custodian, false)));
  expectOk(await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('allergy-1') })));
});

test('only the patient or a live delegate erases: NOT_AUTHORIZED; a delegate can', async ({ c, alice, drEve }) => {
  expectFailed(await c.run(c.tx(TxKind.ERASE_RECORD, drEve, { record: rid('allergy-1') })), ReasonCode.NOT_AUTHORIZED);
  const carer = await c.registerPatient('carer');
  expectOk(await c.run(c.tx(TxKind.SET_DELEGATE, alice, { delegate: carer.id, expiresAt: c.time + DAY })));
  expectOk(await c.run(c.tx(TxKind.ERASE_RECORD, carer, { record: rid('allergy-1') })));
  expectFailed(await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('nope') })), ReasonCode.UNKNOWN_RECORD);
});

test.run();
