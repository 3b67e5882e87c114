/**
 * End to end through the client SDK against a real one-validator devnet process: an organization
 * onboards a patient, the patient anchors a record and grants a consent, the practitioner's access
 * is granted, the consent is revoked, the next access is denied, and the audit trail returns both
 * accesses with proofs that verify offline against headers and commit certificates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import {
  type Account,
  accountFromSecret,
  generateAccount,
  hex,
  MedchainClient,
  newRecordId,
  newSalt,
  RpcClientError,
  recordCommitment,
  TxFactory,
  verifyAuditEntry,
  verifyCommit,
  verifyHeader,
  verifyReceipt,
  verifyStateProofJson,
} from '../../src/client/index.js';
import { loud } from '../helpers/hooks.js';
import { TestNet } from '../helpers/procs.js';

let net: TestNet;
let client: MedchainClient;
let chainId: string;
let org: Account;
const patient = generateAccount();
const doctor = generateAccount();
const record = newRecordId();
let consentId = '';

test.before(
  loud('client/e2e', async () => {
    net = await TestNet.create(1, 200);
    net.startAll();
    await net.waitHeight(0, 1, 30_000);
    const m = await readDevnet(net.dir);
    org = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
    client = MedchainClient.http(net.nodes[0]?.rpc as string);
    chainId = (await client.status()).chainId;
  }),
);

test.after(async () => {
  await client?.close();
  await net?.close();
});

const as = (a: Account) => new TxFactory({ chainId, account: a });

async function ok(tx: { bytes: Uint8Array }): Promise<void> {
  const r = await client.send(tx);
  assert.is(r.status, 'ok', `${r.status} ${r.code}`);
}

test('an organization onboards a patient and a licensed practitioner', async () => {
  await ok(as(patient).registerPatient(org));
  await ok(as(org).registerPractitioner(doctor));
  const now = (await client.status()).headTime;
  await ok(
    as(org).issueCredential({
      practitioner: doctor.id,
      type: 'license',
      validFrom: now - 3_600_000,
      validUntil: now + 365 * 86_400_000,
    }),
  );
  const id = await client.call('identity_get', { id: hex(patient.id) });
  assert.is(id.identity?.type, 'patient');
  assert.is(id.identity?.org, hex(org.id));
  assert.ok(verifyStateProofJson(id.stateRoot, id.proof));
  const creds = await client.call('credential_list', { practitioner: hex(doctor.id) });
  assert.is(creds.credentials.length, 1);
  assert.is(creds.credentials[0]?.valid, true);
  const v = await client.call('credential_verify', { practitioner: hex(doctor.id), type: 'license' });
  assert.is(v.valid, true);
  assert.ok(verifyStateProofJson(v.stateRoot, v.proof));
  const unknown = await client.call('identity_get', { id: hex(newRecordId()) });
  assert.is(unknown.identity, null);
  assert.ok(verifyStateProofJson(unknown.stateRoot, unknown.proof), 'non-inclusion proof');
});

test('the patient anchors a record and grants a 48-hour consent', async () => {
  const commitment = recordCommitment(new TextEncoder().encode('ciphertext'), newSalt());
  await ok(
    as(patient).addRecord({
      record,
      patient: patient.id,
      resourceType: 'Observation',
      commitment,
      locator: new TextEncoder().encode('vault:7f3a'),
      custodian: org.id,
    }),
  );
  const r = await client.call('record_get', { record: hex(record) });
  assert.is(r.record?.resourceType, 'Observation');
  assert.is(r.record?.commitment, hex(commitment));
  assert.ok(verifyStateProofJson(r.stateRoot, r.proof));
  const list = await client.call('record_listByPatient', { patient: hex(patient.id) });
  assert.equal(
    list.records.map((x) => x.id),
    [hex(record)],
  );

  const grant = as(patient).grantConsent({ grantee: doctor.id, records: [record], purposes: ['TREAT'], hours: 48 });
  await ok(grant);
  consentId = hex(grant.hash);
  const c = await client.call('consent_get', { consent: consentId });
  assert.is(c.consent.status, 'active');
  assert.is(c.consent.expiresAt - Date.now() > 47 * 3_600_000, true);
  assert.ok(verifyStateProofJson(c.stateRoot, c.proof));
  const byPatient = await client.call('consent_listByPatient', { patient: hex(patient.id) });
  assert.equal(
    byPatient.consents.map((x) => x.id),
    [consentId],
  );
  const byGrantee = await client.call('consent_listByGrantee', { grantee: hex(doctor.id), status: ['active'] });
  assert.is(byGrantee.consents.length, 1);
});

test('access is granted under the consent, then denied once it is revoked', async () => {
  const check = await client.call('access_check', {
    grantee: hex(doctor.id),
    record: hex(record),
    action: 'read',
    purpose: 'TREAT',
  });
  assert.is(check.granted, true);
  assert.is(check.consent, consentId);
  assert.ok(check.proofs);
  for (const p of [check.proofs.identity, check.proofs.record, check.proofs.consent])
    assert.ok(p !== null && verifyStateProofJson(check.stateRoot, p));
  const wrongPurpose = await client.call('access_check', {
    grantee: hex(doctor.id),
    record: hex(record),
    action: 'read',
    purpose: 'HRESCH',
    proof: false,
  });
  assert.is(wrongPurpose.granted, false);
  assert.is(wrongPurpose.code, 'PURPOSE_MISMATCH');
  assert.is(wrongPurpose.proofs, null);

  const granted = await client.send(as(doctor).access({ patient: patient.id, records: [record], purpose: 'TREAT' }));
  assert.is(granted.status, 'ok');
  const header = await client.call('chain_getHeader', { block: granted.height });
  assert.ok(verifyReceipt(granted, header));

  await ok(as(patient).revokeConsent({ grantee: doctor.id, consent: consentId }));
  const after = await client.call('access_check', {
    grantee: hex(doctor.id),
    record: hex(record),
    action: 'read',
    purpose: 'TREAT',
  });
  assert.is(after.granted, false);
  assert.is(after.code, 'REVOKED');
  assert.is(after.consent, null);

  const denied = await client.send(as(doctor).access({ patient: patient.id, records: [record], purpose: 'TREAT' }));
  assert.is(denied.status, 'denied');
  assert.is(denied.code, 'REVOKED');
  assert.is((await client.call('consent_get', { consent: consentId })).consent.status, 'revoked');
});

test('the audit trail returns both accesses with proofs that verify offline', async () => {
  const page = await client.call('audit_query', { patient: hex(patient.id), kinds: ['access'], proofs: true });
  assert.equal(
    page.entries.map((e) => e.attrs.granted),
    [true, false],
  );
  assert.is(page.entries[1]?.attrs.code, 'REVOKED');
  const validators = await client.call('chain_getValidators');
  for (const e of page.entries) {
    const header = await client.call('chain_getHeader', { block: e.height });
    const commit = await client.call('chain_getCommit', { block: e.height });
    assert.ok(verifyHeader(header));
    assert.ok(verifyCommit(commit, header, validators), 'commit certificate');
    assert.ok(verifyAuditEntry(e, header), 'receipt inclusion against eventsRoot');
    // Tampering is caught.
    assert.not.ok(verifyAuditEntry({ ...e, attrs: { ...e.attrs, granted: !e.attrs.granted } }, header));
  }
  const all = await client.call('audit_query', { patient: hex(patient.id) });
  const kinds = all.entries.map((e) => e.type);
  for (const k of ['record.added', 'consent.granted', 'access', 'consent.revoked']) assert.ok(kinds.includes(k), k);
  const byRecord = await client.call('audit_query', { record: hex(record), kinds: ['access'] });
  assert.is(byRecord.entries.length, 2);
  const byGrantee = await client.call('audit_query', { grantee: hex(doctor.id), page: { limit: 1 } });
  assert.is(byGrantee.entries.length, 1);
  assert.ok(byGrantee.cursor !== null);
  const next = await client.call('audit_query', {
    grantee: hex(doctor.id),
    page: { limit: 10, cursor: byGrantee.cursor as string },
  });
  assert.not.equal(next.entries[0], byGrantee.entries[0]);

  const d = await client.call('audit_disclosures', { patient: hex(patient.id), proofs: true });
  assert.is(d.disclosures.length, 2);
  assert.is(d.disclosures[0]?.recipient.id, hex(doctor.id));
  assert.is(d.disclosures[0]?.recipient.organizationName, 'Hospital A');
  assert.equal(d.disclosures[0]?.records, [hex(record)]);
});

test('domain errors carry stable numbers and string codes', async () => {
  try {
    await client.call('consent_get', { consent: hex(newRecordId()) });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RpcClientError);
    assert.is((err as RpcClientError).code, 4001);
    assert.is((err as RpcClientError).reason, 'CONSENT_NOT_FOUND');
  }
  try {
    await client.call('audit_query', {});
    assert.unreachable();
  } catch (err) {
    assert.is((err as RpcClientError).reason, 'AUDIT_NO_SUBJECT');
  }
});

test('a WebSocket client receives the events of one patient', async () => {
  const ws = await MedchainClient.ws(net.nodes[0]?.rpc as string);
  const got: { type: string; attrs: Record<string, unknown> }[] = [];
  const unsubscribe = await ws.subscribe('events', { patient: hex(patient.id) }, (e) =>
    got.push(e as (typeof got)[number]),
  );
  const other = generateAccount();
  await ok(as(other).registerPatient(org));
  await ws.send(as(doctor).access({ patient: patient.id, records: [record], purpose: 'TREAT' }));
  const deadline = Date.now() + 5000;
  while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.is(got.length, 1);
  assert.is(got[0]?.type, 'access');
  assert.is(got[0]?.attrs.patient, hex(patient.id));
  await unsubscribe();
  await ws.close();
});

test.run();
