import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Action, ALL_TYPES_MASK, CredentialType, Purpose, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { credentialKey } from '../../../state/domain/keys.js';
import { decodeCredential } from '../../../state/domain/values.js';
import { type Actor, expectDenied, expectFailed, expectOk, rid, TestChain, YEAR } from './helpers.js';

interface Ctx {
  c: TestChain;
  orgA: Actor;
  orgB: Actor;
  drA: Actor;
  alice: Actor;
}
const test = suite<Ctx>('credentials: only the practitioner organization');

test.before.each(async (ctx) => {
  ctx.c = await TestChain.open();
  ctx.orgA = ctx.c.orgs[0] as Actor;
  ctx.orgB = ctx.c.orgs[1] as Actor;
  ctx.drA = await ctx.c.registerPractitioner('dr-a', ctx.orgA, [CredentialType.LICENSE]);
  ctx.alice = await ctx.c.registerPatient('alice');
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const issue = (c: TestChain, org: Actor, p: Actor, credType: number, validUntil = c.time + YEAR) =>
  c.tx(TxKind.ISSUE_CREDENTIAL, org, { practitioner: p.id, credType, qualifier: 0, validFrom: c.time, validUntil });
const revoke = (c: TestChain, org: Actor, p: Actor, credType: number) =>
  c.tx(TxKind.REVOKE_CREDENTIAL, org, { practitioner: p.id, credType, qualifier: 0 });
const credential = (c: TestChain, p: Actor, credType: number) => {
  const v = c.store.get(credentialKey(p.id, credType, 0));
  return v === undefined ? undefined : decodeCredential(v);
};

test('another organization cannot grant EMERGENCY privileges to our practitioner: NOT_AUTHORIZED, no break-glass', async ({
  c,
  orgB,
  drA,
  alice,
}) => {
  expectFailed(await c.run(issue(c, orgB, drA, CredentialType.EMERGENCY)), ReasonCode.NOT_AUTHORIZED);
  assert.is(credential(c, drA, CredentialType.EMERGENCY), undefined);
  expectDenied(
    await c.run(c.tx(TxKind.BREAK_GLASS, drA, { patient: alice.id, reason: Purpose.ETREAT })),
    ReasonCode.NOT_CREDENTIALED,
  );
});

test('a licence the organization revoked cannot be re-issued by another organization; the organization still controls it', async ({
  c,
  orgA,
  orgB,
  drA,
}) => {
  expectOk(await c.run(revoke(c, orgA, drA, CredentialType.LICENSE)));
  expectFailed(await c.run(issue(c, orgB, drA, CredentialType.LICENSE)), ReasonCode.NOT_AUTHORIZED);
  assert.ok((credential(c, drA, CredentialType.LICENSE)?.revokedAt ?? 0) > 0, 'still revoked');
  // the organization re-issues its own licence and can revoke it again
  expectOk(await c.run(issue(c, orgA, drA, CredentialType.LICENSE)));
  expectOk(await c.run(revoke(c, orgA, drA, CredentialType.LICENSE)));
});

test('another organization cannot overwrite a licence with one that expires in a millisecond, nor revoke it', async ({
  c,
  orgB,
  drA,
  alice,
}) => {
  const before = credential(c, drA, CredentialType.LICENSE);
  expectFailed(await c.run(issue(c, orgB, drA, CredentialType.LICENSE, c.time + 1001)), ReasonCode.NOT_AUTHORIZED);
  expectFailed(await c.run(revoke(c, orgB, drA, CredentialType.LICENSE)), ReasonCode.NOT_AUTHORIZED);
  assert.equal(credential(c, drA, CredentialType.LICENSE), before);
  // an hour later the practitioner is still licensed: reads under consent are granted
  expectOk(
    await c.run(
      c.tx(TxKind.GRANT_CONSENT, alice, {
        patient: alice.id,
        grantee: drA.id,
        records: [],
        types: ALL_TYPES_MASK,
        actions: Action.READ,
        purposes: 1 << Purpose.TREAT,
        notBefore: 0,
        expiresAt: c.time + YEAR,
      }),
    ),
  );
  expectOk(await c.addRecord(alice, alice, 'lab-1'));
  expectOk(
    await c.run(
      c.tx(TxKind.ACCESS, drA, { patient: alice.id, records: [rid('lab-1')], purpose: Purpose.TREAT }),
      c.time + 3_600_000,
    ),
  );
});

test('the organization revokes once (REVOKED after) and only what exists (NOT_FOUND)', async ({ c, orgA, drA }) => {
  expectOk(await c.run(revoke(c, orgA, drA, CredentialType.LICENSE)));
  expectFailed(await c.run(revoke(c, orgA, drA, CredentialType.LICENSE)), ReasonCode.REVOKED);
  expectFailed(await c.run(revoke(c, orgA, drA, CredentialType.EMERGENCY)), ReasonCode.NOT_FOUND);
});

test.run();
