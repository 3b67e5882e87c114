import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../../src/chain/genesis.js';
import { equal } from '../../../src/codec/bytes.js';
import { SMALL_ORDER_ENCODINGS } from '../../../src/crypto/ed25519.js';
import {
  buildTx,
  purposesMask,
  recoveryApproval,
  registerPatient,
  registerPractitioner,
  rotateKey,
  startRecovery,
  typesMask,
} from '../../../src/tx/builders.js';
import { Action, IdentityType, Purpose, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { identityKey } from '../../../state/domain/keys.js';
import { decodeIdentity } from '../../../state/domain/values.js';
import {
  type Actor,
  actor,
  CHAIN_ID,
  DAY,
  expectFailed,
  expectOk,
  expectRefused,
  HOUR,
  rid,
  TestChain,
  YEAR,
} from './helpers.js';

interface Ctx {
  c: TestChain;
  alice: Actor;
  drBob: Actor;
}
const test = suite<Ctx>('identities, delegates, recovery');

test.before.each(async (ctx) => {
  ctx.c = await TestChain.open();
  ctx.alice = await ctx.c.registerPatient('alice');
  ctx.drBob = await ctx.c.registerPractitioner('dr-bob');
  expectOk(await ctx.c.addRecord(ctx.alice, ctx.alice, 'xray-1', 5));
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const identityOf = (c: TestChain, id: Uint8Array) => {
  const v = c.store.get(identityKey(id));
  return v === undefined ? undefined : decodeIdentity(v);
};

const consentTx = (c: TestChain, by: Actor, patient: Actor, grantee: Actor, expiresAt = c.time + DAY) =>
  c.tx(TxKind.GRANT_CONSENT, by, {
    patient: patient.id,
    grantee: grantee.id,
    records: [],
    types: typesMask(['ImagingStudy']),
    actions: Action.READ,
    purposes: purposesMask(['TREAT']),
    notBefore: c.time,
    expiresAt,
  });

const readTx = (c: TestChain, who: Actor, patient: Actor) =>
  c.tx(TxKind.ACCESS, who, { patient: patient.id, records: [rid('xray-1')], purpose: Purpose.TREAT });

test('patient registration is co-signed by an onboarding organization; its id is the hash of the first key', async ({
  c,
  alice,
}) => {
  const i = identityOf(c, alice.id);
  assert.is(i?.type, IdentityType.PATIENT);
  assert.ok(equal(i?.org as Uint8Array, (c.orgs[0] as Actor).id));
  assert.ok(equal(alice.id, identityId(alice.pk)));
});

test('registration with a forged org co-signature fails BAD_PROOF; a non-organization onboarder fails', async ({
  c,
  drBob,
}) => {
  const p = actor('mallory');
  const forged = registerPatient({
    chainId: CHAIN_ID,
    pubkey: p.pk,
    expiresAt: c.time + YEAR,
    org: (c.orgs[0] as Actor).id,
    orgSign: p.sign,
  });
  expectRefused(c, c.sign(forged, p.sk), ReasonCode.BAD_PROOF);
  const byDoctor = registerPatient({
    chainId: CHAIN_ID,
    pubkey: p.pk,
    expiresAt: c.time + YEAR,
    org: drBob.id,
    orgSign: drBob.sign,
  });
  expectRefused(c, c.sign(byDoctor, p.sk), ReasonCode.WRONG_IDENTITY_TYPE);
});

test('registration twice fails ALREADY_EXISTS; a signer that is not the key hash fails KEY_MISMATCH', async ({
  c,
  alice,
}) => {
  const org = c.orgs[0] as Actor;
  const again = registerPatient({
    chainId: CHAIN_ID,
    pubkey: alice.pk,
    expiresAt: c.time + YEAR,
    org: org.id,
    orgSign: org.sign,
  });
  expectRefused(c, c.sign(again, alice.sk), ReasonCode.ALREADY_EXISTS);
  const p = actor('eve');
  const f = registerPatient({
    chainId: CHAIN_ID,
    pubkey: p.pk,
    expiresAt: c.time + YEAR,
    org: org.id,
    orgSign: org.sign,
  });
  expectRefused(c, c.sign({ ...f, signer: alice.id }, p.sk), ReasonCode.KEY_MISMATCH);
});

test('a small-order public key is refused at registration: INVALID_KEY', async ({ c }) => {
  const org = c.orgs[0] as Actor;
  const bad = SMALL_ORDER_ENCODINGS[5] as Uint8Array;
  const f = registerPatient({
    chainId: CHAIN_ID,
    pubkey: bad,
    expiresAt: c.time + YEAR,
    org: org.id,
    orgSign: org.sign,
  });
  // apply does not verify the envelope signature (admission does); the key rule is the state machine's
  expectFailed(await c.run(c.sign(f, actor('x').sk)), ReasonCode.INVALID_KEY);
  const badPrac = registerPractitioner(c.env(org), bad, () => new Uint8Array(64));
  expectFailed(await c.run(c.sign(badPrac, org.sk)), ReasonCode.INVALID_KEY);
});

test('practitioners are registered by an organization with a key-possession proof', async ({ c, alice }) => {
  const p = actor('dr-carol');
  expectFailed(
    await c.run(c.sign(registerPractitioner(c.env(alice), p.pk, p.sign), alice.sk)),
    ReasonCode.WRONG_IDENTITY_TYPE,
  );
  const org = c.orgs[1] as Actor;
  const noProof = registerPractitioner(c.env(org), p.pk, actor('other').sign);
  expectFailed(await c.run(c.sign(noProof, org.sk)), ReasonCode.BAD_PROOF);
  expectOk(await c.run(c.sign(registerPractitioner(c.env(org), p.pk, p.sign), org.sk)));
  assert.is(identityOf(c, p.id)?.type, IdentityType.PRACTITIONER);
});

test('key rotation keeps the identity: same id, records and consents; the old key stops working (KEY_MISMATCH)', async ({
  c,
  alice,
  drBob,
}) => {
  expectOk(await c.run(consentTx(c, alice, alice, drBob)));
  const newKey = actor('alice-phone-2');
  expectOk(await c.run(c.sign(rotateKey(c.env(alice), newKey.pk, newKey.sign), alice.sk)));
  const i = identityOf(c, alice.id);
  assert.ok(equal(i?.pubkey as Uint8Array, newKey.pk));
  assert.is(i?.type, IdentityType.PATIENT);
  // the old key no longer acts for alice
  expectRefused(c, consentTx(c, alice, alice, drBob), ReasonCode.KEY_MISMATCH);
  // the new key does, for the same id, and the earlier consent still covers
  const alice2: Actor = { ...newKey, id: alice.id };
  expectOk(await c.run(consentTx(c, alice2, alice2, drBob)));
  expectOk(await c.run(readTx(c, drBob, alice)));
  expectOk(await c.run(readTx(c, alice2, alice2)));
});

test('rotation needs possession of the new key (BAD_PROOF) and a valid key (INVALID_KEY)', async ({ c, alice }) => {
  const newKey = actor('alice-new');
  expectFailed(
    await c.run(c.sign(rotateKey(c.env(alice), newKey.pk, actor('x').sign), alice.sk)),
    ReasonCode.BAD_PROOF,
  );
  const bad = SMALL_ORDER_ENCODINGS[6] as Uint8Array;
  expectFailed(await c.run(c.sign(rotateKey(c.env(alice), bad, newKey.sign), alice.sk)), ReasonCode.INVALID_KEY);
});

test('an identity cannot be transferred: rotating onto another identity key fails KEY_IN_USE, acting with another key KEY_MISMATCH', async ({
  c,
  alice,
  drBob,
}) => {
  // Bob cooperates (proves his key), still alice's id cannot take it, nor can bob's id move to alice.
  expectFailed(await c.run(c.sign(rotateKey(c.env(alice), drBob.pk, drBob.sign), alice.sk)), ReasonCode.KEY_IN_USE);
  expectFailed(await c.run(c.sign(rotateKey(c.env(drBob), alice.pk, alice.sign), drBob.sk)), ReasonCode.KEY_IN_USE);
  // a tx for alice's id signed with bob's key
  const f = buildTx(
    TxKind.ROTATE_KEY,
    { ...c.env(drBob), signer: alice.id },
    { newPubkey: actor('z').pk, proof: new Uint8Array(64) },
  );
  expectRefused(c, c.sign(f, drBob.sk), ReasonCode.KEY_MISMATCH);
  // a key once held can never be taken again, even after its holder rotated away
  const k2 = actor('alice-2');
  expectOk(await c.run(c.sign(rotateKey(c.env(alice), k2.pk, k2.sign), alice.sk)));
  const dave = actor('dave');
  const daveAsAliceOldKey = rotateKey(c.env({ ...dave, id: dave.id }), alice.pk, alice.sign);
  const org = c.orgs[0] as Actor;
  expectOk(
    await c.run(
      c.sign(
        registerPatient({
          chainId: CHAIN_ID,
          pubkey: dave.pk,
          expiresAt: c.time + YEAR,
          org: org.id,
          orgSign: org.sign,
        }),
        dave.sk,
      ),
    ),
  );
  expectFailed(await c.run(c.sign(daveAsAliceOldKey, dave.sk)), ReasonCode.KEY_IN_USE);
  assert.ok(equal(identityOf(c, alice.id)?.pubkey as Uint8Array, k2.pk));
});

test('a delegate manages consents within the expiry; after expiry or revocation NOT_AUTHORIZED', async ({
  c,
  alice,
  drBob,
}) => {
  const mum = await c.registerPatient('mum');
  expectFailed(await c.run(consentTx(c, mum, alice, drBob)), ReasonCode.NOT_AUTHORIZED);
  const until = c.time + 10 * DAY;
  expectOk(await c.run(c.tx(TxKind.SET_DELEGATE, alice, { delegate: mum.id, expiresAt: until })));
  const g = consentTx(c, mum, alice, drBob, c.time + 20 * DAY);
  expectOk(await c.run(g));
  expectOk(await c.run(readTx(c, drBob, alice)));
  expectOk(await c.run(c.tx(TxKind.REVOKE_CONSENT, mum, { patient: alice.id, grantee: drBob.id, consent: g.hash })));
  expectFailed(await c.run(consentTx(c, mum, alice, drBob), until + 1), ReasonCode.NOT_AUTHORIZED);
  expectOk(await c.run(c.tx(TxKind.SET_DELEGATE, alice, { delegate: mum.id, expiresAt: c.time + DAY })));
  expectOk(await c.run(c.tx(TxKind.REVOKE_DELEGATE, alice, { delegate: mum.id })));
  expectFailed(await c.run(consentTx(c, mum, alice, drBob)), ReasonCode.NOT_AUTHORIZED);
  expectFailed(await c.run(c.tx(TxKind.REVOKE_DELEGATE, alice, { delegate: mum.id })), ReasonCode.NOT_FOUND);
  // only patients name delegates, and never with a past expiry
  expectFailed(
    await c.run(c.tx(TxKind.SET_DELEGATE, drBob, { delegate: mum.id, expiresAt: c.time + DAY })),
    ReasonCode.WRONG_IDENTITY_TYPE,
  );
  expectFailed(
    await c.run(c.tx(TxKind.SET_DELEGATE, alice, { delegate: mum.id, expiresAt: c.time })),
    ReasonCode.EXPIRED,
  );
});

// ---- guardian recovery ----

async function withGuardians(c: TestChain, alice: Actor) {
  const g1 = await c.registerPatient('guardian-1');
  const g2 = await c.registerPatient('guardian-2');
  const org = c.orgs[0] as Actor; // the onboarding organization may be a guardian
  expectOk(await c.run(c.tx(TxKind.SET_RECOVERY, alice, { guardians: [g1.id, g2.id, org.id], threshold: 2 })));
  return { g1, g2, org };
}

test('guardian recovery: 2 of 3 start it, TOO_EARLY before the delay, completes after it; same identity and consents', async ({
  c,
  alice,
  drBob,
}) => {
  const { g1, org } = await withGuardians(c, alice);
  expectOk(await c.run(consentTx(c, alice, alice, drBob, c.time + 30 * DAY)));
  const newPhone = actor('alice-new-phone');
  const epoch = 1;
  const approval = recoveryApproval(CHAIN_ID, alice.id, newPhone.pk, epoch, org.sign);
  const start = startRecovery(c.env(g1), alice.id, newPhone.pk, newPhone.sign, [{ guardian: org.id, sig: approval }]);
  expectOk(await c.run(c.sign(start, g1.sk)));
  const t = c.time;
  const finish = (who: Actor, sk = who.sk) =>
    c.sign(buildTx(TxKind.FINISH_RECOVERY, c.env(who), { patient: alice.id }), sk);
  expectFailed(await c.run(finish(g1), t + c.params.policy.recoveryDelayMs - 1000), ReasonCode.TOO_EARLY);
  // the patient with the new key finishes it
  const aliceNew: Actor = { ...newPhone, id: alice.id };
  expectOk(await c.run(finish(aliceNew), t + c.params.policy.recoveryDelayMs));
  assert.ok(equal(identityOf(c, alice.id)?.pubkey as Uint8Array, newPhone.pk));
  expectOk(await c.run(readTx(c, drBob, alice)));
  expectOk(await c.run(consentTx(c, aliceNew, aliceNew, c.orgs[1] as Actor)));
  expectRefused(c, consentTx(c, alice, alice, drBob), ReasonCode.KEY_MISMATCH);
});

test('the current key cancels a recovery during the delay; it cannot be finished, and old approvals do not replay', async ({
  c,
  alice,
}) => {
  const { g1, g2 } = await withGuardians(c, alice);
  const thief = actor('thief-phone');
  const sig = recoveryApproval(CHAIN_ID, alice.id, thief.pk, 1, g2.sign);
  const start = () =>
    c.sign(startRecovery(c.env(g1), alice.id, thief.pk, thief.sign, [{ guardian: g2.id, sig }]), g1.sk);
  expectOk(await c.run(start()));
  expectFailed(await c.run(start()), ReasonCode.ALREADY_EXISTS);
  expectOk(await c.run(c.sign(buildTx(TxKind.CANCEL_RECOVERY, c.env(alice), {}), alice.sk)));
  const finish = c.sign(buildTx(TxKind.FINISH_RECOVERY, c.env(g1), { patient: alice.id }), g1.sk);
  expectFailed(await c.run(finish, c.time + 3 * DAY), ReasonCode.NOT_FOUND);
  // the same approval again: the epoch moved on
  expectFailed(await c.run(start()), ReasonCode.BAD_PROOF);
  assert.ok(equal(identityOf(c, alice.id)?.pubkey as Uint8Array, alice.pk));
});

test('a suspended guardian approval does not count: NOT_AUTHORIZED', async ({ c, alice }) => {
  const { g1, g2 } = await withGuardians(c, alice);
  // g2 reads alice's record without consent until suspended (threshold 5)
  for (let i = 0; i < c.params.policy.denialThreshold; i++) await c.run(readTx(c, g2, alice));
  expectRefused(c, readTx(c, g2, alice), ReasonCode.SUSPENDED);
  const k = actor('k-suspended');
  const sig = recoveryApproval(CHAIN_ID, alice.id, k.pk, 1, g2.sign);
  expectFailed(
    await c.run(c.sign(startRecovery(c.env(g1), alice.id, k.pk, k.sign, [{ guardian: g2.id, sig }]), g1.sk)),
    ReasonCode.NOT_AUTHORIZED,
  );
});

test('recovery needs the threshold (THRESHOLD_NOT_MET), guardians (NOT_AUTHORIZED) and valid approvals (BAD_PROOF)', async ({
  c,
  alice,
  drBob,
}) => {
  const { g1, g2 } = await withGuardians(c, alice);
  const k = actor('k');
  expectFailed(
    await c.run(c.sign(startRecovery(c.env(g1), alice.id, k.pk, k.sign, []), g1.sk)),
    ReasonCode.THRESHOLD_NOT_MET,
  );
  expectFailed(
    await c.run(c.sign(startRecovery(c.env(drBob), alice.id, k.pk, k.sign, []), drBob.sk)),
    ReasonCode.NOT_AUTHORIZED,
  );
  const forged = recoveryApproval(CHAIN_ID, alice.id, k.pk, 1, g1.sign);
  expectFailed(
    await c.run(c.sign(startRecovery(c.env(g1), alice.id, k.pk, k.sign, [{ guardian: g2.id, sig: forged }]), g1.sk)),
    ReasonCode.BAD_PROOF,
  );
  const noPossession = startRecovery(c.env(g1), alice.id, k.pk, actor('not-k').sign, []);
  expectFailed(await c.run(c.sign(noPossession, g1.sk)), ReasonCode.BAD_PROOF);
  expectFailed(await c.run(c.sign(buildTx(TxKind.CANCEL_RECOVERY, c.env(alice), {}), alice.sk)), ReasonCode.NOT_FOUND);
  assert.ok(HOUR > 0);
});

test.run();
