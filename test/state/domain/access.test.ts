import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { equal, toHex } from '../../../src/codec/bytes.js';
import { purposesMask, typesMask } from '../../../src/tx/builders.js';
import { Action, CredentialType, Purpose, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { consentKey, identityKey, recordKey } from '../../../state/domain/keys.js';
import { blockReadKeys } from '../../../state/domain/read-set.js';
import { disclosures, flagsByGrantee } from '../../../state/index/query.js';
import {
  type Actor,
  expectDenied,
  expectFailed,
  expectOk,
  expectRefused,
  HOUR,
  rid,
  TestChain,
  testParams,
  YEAR,
} from './helpers.js';

interface Ctx {
  c: TestChain;
  alice: Actor;
  drBob: Actor;
}

const test = suite<Ctx>('consent and access');

test.before.each(async (ctx) => {
  ctx.c = await TestChain.open({ params: testParams({ denialThreshold: 3, denialWindowMs: HOUR }) });
  ctx.alice = await ctx.c.registerPatient('alice');
  ctx.drBob = await ctx.c.registerPractitioner('dr-bob');
  expectOk(await ctx.c.addRecord(ctx.alice, ctx.alice, 'xray-1', 5)); // ImagingStudy
  expectOk(await ctx.c.addRecord(ctx.alice, ctx.alice, 'allergy-1', 0)); // AllergyIntolerance
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const grant = (c: TestChain, patient: Actor, grantee: Actor, over: Partial<Parameters<typeof grantBody>[0]> = {}) =>
  c.tx(TxKind.GRANT_CONSENT, patient, grantBody({ patient, grantee, notBefore: c.time, ...over }));

function grantBody(o: {
  patient: Actor;
  grantee: Actor;
  notBefore: number;
  expiresAt?: number;
  records?: Uint8Array[];
  types?: number;
  actions?: number;
  purposes?: number;
}) {
  return {
    patient: o.patient.id,
    grantee: o.grantee.id,
    records: o.records ?? [],
    types: o.types ?? typesMask(['ImagingStudy']),
    actions: o.actions ?? Action.READ,
    purposes: o.purposes ?? purposesMask(['TREAT']),
    notBefore: o.notBefore,
    expiresAt: o.expiresAt ?? o.notBefore + 48 * HOUR,
  };
}

const read = (c: TestChain, who: Actor, patient: Actor, records: string[], purpose: number = Purpose.TREAT) =>
  c.tx(TxKind.ACCESS, who, { patient: patient.id, records: records.map(rid), purpose });

test('48-hour X-ray consent: granted at hour 47, denied EXPIRED at hour 49, with no transaction in between', async ({
  c,
  alice,
  drBob,
}) => {
  const t0 = c.time + 1000;
  expectOk(await c.run(grant(c, alice, drBob, { notBefore: t0, expiresAt: t0 + 48 * HOUR }), t0));
  expectOk(await c.run(read(c, drBob, alice, ['xray-1']), t0 + 47 * HOUR));
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1']), t0 + 49 * HOUR), ReasonCode.EXPIRED);
});

test('access before not-before is denied NOT_YET_VALID', async ({ c, alice, drBob }) => {
  expectOk(await c.run(grant(c, alice, drBob, { notBefore: c.time + 10 * HOUR })));
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1'])), ReasonCode.NOT_YET_VALID);
  expectOk(await c.run(read(c, drBob, alice, ['xray-1']), c.time + 11 * HOUR));
});

test('revoked consent stops covering: REVOKED; a second revocation fails REVOKED', async ({ c, alice, drBob }) => {
  const g = grant(c, alice, drBob);
  expectOk(await c.run(g));
  expectOk(await c.run(read(c, drBob, alice, ['xray-1'])));
  const revoke = () => c.tx(TxKind.REVOKE_CONSENT, alice, { patient: alice.id, grantee: drBob.id, consent: g.hash });
  expectOk(await c.run(revoke()));
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1'])), ReasonCode.REVOKED);
  expectFailed(await c.run(revoke()), ReasonCode.REVOKED);
});

test('only the patient or a delegate revokes: NOT_AUTHORIZED; unknown consent NOT_FOUND', async ({
  c,
  alice,
  drBob,
}) => {
  const g = grant(c, alice, drBob);
  expectOk(await c.run(g));
  expectFailed(
    await c.run(c.tx(TxKind.REVOKE_CONSENT, drBob, { patient: alice.id, grantee: drBob.id, consent: g.hash })),
    ReasonCode.NOT_AUTHORIZED,
  );
  expectFailed(
    await c.run(c.tx(TxKind.REVOKE_CONSENT, alice, { patient: alice.id, grantee: drBob.id, consent: rid('nope') })),
    ReasonCode.NOT_FOUND,
  );
});

test('purpose of use outside the consent is denied PURPOSE_MISMATCH', async ({ c, alice, drBob }) => {
  expectOk(await c.run(grant(c, alice, drBob)));
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1'], Purpose.HRESCH)), ReasonCode.PURPOSE_MISMATCH);
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1'], Purpose.HPAYMT)), ReasonCode.PURPOSE_MISMATCH);
});

test('write-only consent does not allow reading: ACTION_MISMATCH', async ({ c, alice, drBob }) => {
  expectOk(await c.run(grant(c, alice, drBob, { actions: Action.WRITE })));
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1'])), ReasonCode.ACTION_MISMATCH);
});

test('scope: other resource types and unlisted records are NO_CONSENT; listed records are covered', async ({
  c,
  alice,
  drBob,
}) => {
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1'])), ReasonCode.NO_CONSENT);
  expectOk(await c.run(grant(c, alice, drBob)));
  // one access naming several records: all must be covered
  expectDenied(await c.run(read(c, drBob, alice, ['xray-1', 'allergy-1'])), ReasonCode.NO_CONSENT);
  expectOk(await c.run(grant(c, alice, drBob, { types: 0, records: [rid('allergy-1')] })));
  expectOk(await c.run(read(c, drBob, alice, ['xray-1', 'allergy-1'])));
});

test('unknown record or a record of another patient is denied UNKNOWN_RECORD', async ({ c, alice, drBob }) => {
  const carol = await c.registerPatient('carol');
  expectOk(await c.addRecord(carol, carol, 'carol-xray', 5));
  expectOk(await c.run(grant(c, alice, drBob)));
  expectDenied(await c.run(read(c, drBob, alice, ['missing'])), ReasonCode.UNKNOWN_RECORD);
  expectDenied(await c.run(read(c, drBob, alice, ['carol-xray'])), ReasonCode.UNKNOWN_RECORD);
});

test("a grant naming an unknown record or another patient's fails UNKNOWN_RECORD; an erased one fails ERASED", async ({
  c,
  alice,
  drBob,
}) => {
  const carol = await c.registerPatient('carol');
  expectOk(await c.addRecord(carol, carol, 'carol-xray', 5));
  expectFailed(await c.run(grant(c, alice, drBob, { records: [rid('missing')] })), ReasonCode.UNKNOWN_RECORD);
  expectFailed(await c.run(grant(c, alice, drBob, { records: [rid('carol-xray')] })), ReasonCode.UNKNOWN_RECORD);
  expectOk(await c.run(c.tx(TxKind.ERASE_RECORD, alice, { record: rid('allergy-1') })));
  expectFailed(await c.run(grant(c, alice, drBob, { records: [rid('allergy-1')] })), ReasonCode.ERASED);
  expectOk(await c.run(grant(c, alice, drBob, { records: [rid('xray-1')] })));
});

test('grantee without a valid license is denied NOT_CREDENTIALED (never licensed, revoked, expired)', async ({
  c,
  alice,
}) => {
  const org = c.orgs[0] as Actor;
  const drNoLicense = await c.registerPractitioner('dr-none', org, []);
  expectOk(await c.run(grant(c, alice, drNoLicense)));
  expectDenied(await c.run(read(c, drNoLicense, alice, ['xray-1'])), ReasonCode.NOT_CREDENTIALED);
  await c.issue(org, drNoLicense, CredentialType.LICENSE, c.time + 10 * HOUR);
  expectOk(await c.run(read(c, drNoLicense, alice, ['xray-1'])));
  expectDenied(await c.run(read(c, drNoLicense, alice, ['xray-1']), c.time + 11 * HOUR), ReasonCode.NOT_CREDENTIALED);
  await c.issue(org, drNoLicense, CredentialType.LICENSE);
  expectOk(await c.run(read(c, drNoLicense, alice, ['xray-1'])));
  const revoke = () =>
    c.tx(TxKind.REVOKE_CREDENTIAL, org, {
      practitioner: drNoLicense.id,
      credType: CredentialType.LICENSE,
      qualifier: 0,
    });
  expectFailed(
    await c.run(
      c.tx(TxKind.REVOKE_CREDENTIAL, c.orgs[1] as Actor, { practitioner: drNoLicense.id, credType: 1, qualifier: 0 }),
    ),
    ReasonCode.NOT_AUTHORIZED,
  );
  expectOk(await c.run(revoke()));
  expectDenied(await c.run(read(c, drNoLicense, alice, ['xray-1'])), ReasonCode.NOT_CREDENTIALED);
});

test('an organization grantee reads under consent without a practitioner credential', async ({ c, alice }) => {
  const lab = c.orgs[1] as Actor;
  expectOk(await c.run(grant(c, alice, lab)));
  expectOk(await c.run(read(c, lab, alice, ['xray-1'])));
});

test('the patient reads their own records without consent', async ({ c, alice }) => {
  expectOk(await c.run(read(c, alice, alice, ['xray-1', 'allergy-1'])));
});

test('suspension after N denials within the window, SUSPENDED while suspended, reinstatement by the organization', async ({
  c,
  alice,
  drBob,
}) => {
  const org = c.orgs[0] as Actor;
  expectOk(await c.run(grant(c, alice, drBob)));
  // denials spread wider than the window do not add up
  expectDenied(await c.run(read(c, drBob, alice, ['allergy-1'])), ReasonCode.NO_CONSENT);
  expectDenied(await c.run(read(c, drBob, alice, ['allergy-1']), c.time + 2 * HOUR), ReasonCode.NO_CONSENT);
  expectOk(await c.run(read(c, drBob, alice, ['xray-1'])));
  // three within an hour: suspended on the third
  expectDenied(await c.run(read(c, drBob, alice, ['allergy-1'])), ReasonCode.NO_CONSENT);
  const third = await c.block([read(c, drBob, alice, ['allergy-1'])]);
  expectDenied(third.receipts[0] as never, ReasonCode.NO_CONSENT);
  assert.ok(third.receipts[0]?.events.some((e) => e.type === 'grantee.suspended'));
  // suspended: refused before any block, so no DENIED entry lands in the patient's disclosures
  expectRefused(c, read(c, drBob, alice, ['xray-1']), ReasonCode.SUSPENDED);
  // another organization cannot reinstate; the practitioner's own can, once
  expectFailed(
    await c.run(c.tx(TxKind.REINSTATE, c.orgs[1] as Actor, { grantee: drBob.id })),
    ReasonCode.NOT_AUTHORIZED,
  );
  expectOk(await c.run(c.tx(TxKind.REINSTATE, org, { grantee: drBob.id })));
  expectFailed(await c.run(c.tx(TxKind.REINSTATE, org, { grantee: drBob.id })), ReasonCode.NOT_SUSPENDED);
  expectOk(await c.run(read(c, drBob, alice, ['xray-1'])));
  // suspensions and denials are in the flags index of the grantee
  const flags = await flagsByGrantee(c.db, drBob.id);
  const types = flags.entries.map((e) => e.type);
  assert.ok(types.includes('grantee.suspended') && types.includes('grantee.reinstated'));
  // the four NO_CONSENT denials; the refused SUSPENDED attempt wrote nothing (it used to be a fifth)
  assert.is(flags.entries.filter((e) => e.type === 'access' && e.attrs.granted === false).length, 4);
});

test('every access, granted or denied, is in the patient accounting of disclosures with who/when/purpose/outcome', async ({
  c,
  alice,
  drBob,
}) => {
  expectOk(await c.run(grant(c, alice, drBob)));
  expectOk(await c.run(read(c, drBob, alice, ['xray-1'])));
  const tOk = c.time;
  expectDenied(await c.run(read(c, drBob, alice, ['allergy-1'], Purpose.HPAYMT)), ReasonCode.NO_CONSENT);
  const page = await disclosures(c.db, alice.id);
  assert.is(page.entries.length, 2);
  const [a, b] = page.entries;
  assert.is(a?.time, tOk);
  assert.ok(equal(a?.attrs.grantee as Uint8Array, drBob.id));
  assert.ok(equal(a?.attrs.records as Uint8Array, rid('xray-1')));
  assert.equal([a?.attrs.purpose, a?.attrs.granted, a?.attrs.emergency], ['TREAT', true, false]);
  assert.equal([b?.attrs.purpose, b?.attrs.granted, b?.attrs.code], ['HPAYMT', false, 'NO_CONSENT']);
});

test('a practitioner writes a pointer under a write consent for the type; without it the write fails', async ({
  c,
  alice,
  drBob,
}) => {
  expectFailed(await c.addRecord(drBob, alice, 'obs-1', 3), ReasonCode.NO_CONSENT);
  expectOk(
    await c.run(grant(c, alice, drBob, { types: typesMask(['Observation']), actions: Action.WRITE | Action.READ })),
  );
  expectOk(await c.addRecord(drBob, alice, 'obs-1', 3));
  expectFailed(await c.addRecord(drBob, alice, 'obs-1', 3), ReasonCode.ALREADY_EXISTS);
  expectFailed(await c.addRecord(drBob, alice, 'img-2', 5), ReasonCode.NO_CONSENT);
});

test('a writer other than the patient names only its own or the patient organization as custodian: NOT_AUTHORIZED', async ({
  c,
  alice,
  drBob,
}) => {
  expectOk(
    await c.run(grant(c, alice, drBob, { types: typesMask(['Observation']), actions: Action.WRITE | Action.READ })),
  );
  // a third organization would gain a legal hold over alice's erasure
  const stranger = c.orgs[2] as Actor;
  expectFailed(await c.addRecord(drBob, alice, 'obs-x', 3, stranger), ReasonCode.NOT_AUTHORIZED);
  expectOk(await c.addRecord(drBob, alice, 'obs-x', 3, c.orgs[0] as Actor));
  // the patient chooses any custodian
  expectOk(await c.addRecord(alice, alice, 'obs-own', 3, stranger));
});

test('a prescription (MedicationRequest) needs a licensed practitioner: NOT_CREDENTIALED otherwise', async ({
  c,
  alice,
  drBob,
}) => {
  const MR = 6;
  expectFailed(await c.addRecord(alice, alice, 'rx-self', MR), ReasonCode.NOT_CREDENTIALED);
  expectOk(await c.run(grant(c, alice, drBob, { types: typesMask(['MedicationRequest']), actions: Action.WRITE })));
  expectOk(await c.addRecord(drBob, alice, 'rx-1', MR));
  const lab = c.orgs[1] as Actor;
  expectOk(await c.run(grant(c, alice, lab, { types: typesMask(['MedicationRequest']), actions: Action.WRITE })));
  expectFailed(await c.addRecord(lab, alice, 'rx-2', MR), ReasonCode.NOT_CREDENTIALED);
});

test('consents go to practitioners and organizations only; expired grants and unknown grantees fail', async ({
  c,
  alice,
}) => {
  const carol = await c.registerPatient('carol');
  expectFailed(await c.run(grant(c, alice, carol)), ReasonCode.WRONG_IDENTITY_TYPE);
  const ghost = { ...carol, id: rid('ghost') };
  expectFailed(await c.run(grant(c, alice, ghost)), ReasonCode.UNKNOWN_IDENTITY);
  expectFailed(
    await c.run(grant(c, alice, c.orgs[1] as Actor, { notBefore: c.time - 10 * HOUR, expiresAt: c.time - HOUR })),
    ReasonCode.EXPIRED,
  );
});

test('a pair holds at most 8 consents; dead ones make room, else LIMIT_EXCEEDED', async ({ c, alice, drBob }) => {
  for (let i = 0; i < 8; i++) expectOk(await c.run(grant(c, alice, drBob, { expiresAt: c.time + (i + 2) * HOUR })));
  expectFailed(await c.run(grant(c, alice, drBob)), ReasonCode.LIMIT_EXCEEDED);
  c.time += 2 * HOUR + 2000; // the first has expired
  expectOk(await c.run(grant(c, alice, drBob, { expiresAt: c.time + YEAR })));
});

test('the read set of an access names the grantee identity, the consent pair and each record', async ({
  c,
  alice,
  drBob,
}) => {
  const keys = blockReadKeys([read(c, drBob, alice, ['xray-1', 'allergy-1'])]).map(toHex);
  for (const k of [
    identityKey(drBob.id),
    consentKey(alice.id, drBob.id),
    recordKey(rid('xray-1')),
    recordKey(rid('allergy-1')),
  ])
    assert.ok(keys.includes(toHex(k)));
});

test.run();
