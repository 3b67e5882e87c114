/**
 * The console in a real browser (Debian's Chromium, headless) against a real one-validator devnet
 * process, as people use it: a patient imports her key file and grants a 48-hour consent; the
 * doctor's accesses (SDK) appear live in her "who looked", verified in the browser; she revokes and
 * the next access is denied; a break-glass access is highlighted for her and queued for the
 * organization, whose officer reviews it; the explorer follows the chain. Every view is scanned
 * with axe-core and shown at 375 px. Screenshots go to test-results/console.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importBundle } from '../../src/client/fhir-import.js';
import { type Account, generateAccount, hex, newRecordId } from '../../src/client/index.js';
import { RecordVault } from '../../src/client/vault/index.js';
import { startVault } from '../../src/vault/index.js';
import { operatorToken } from '../helpers/procs.js';
import { syntheticPatient } from '../vault/fhir.js';
import { shot } from './browser.js';
import { ConsoleNet, checkView, usableAt375, view, WAIT } from './fixture.js';

let fx: ConsoleNet | null = null;
/** The fixture, once started (tests return early when there is no browser). */
const f = (): ConsoleNet => fx as ConsoleNet;
let org: Account;
const alice = generateAccount();
const doctor = generateAccount();
const record = newRecordId();
let patientPage: Page;
let officerPage: Page;
let doctorPage: Page;

test.before(async () => {
  fx = await ConsoleNet.start();
  if (fx === null) return;
  org = fx.org;
  const { as, ok } = { as: fx.as.bind(fx), ok: fx.ok.bind(fx) };
  await f().ok(f().as(alice).registerPatient(org));
  await f().ok(f().as(org).registerPractitioner(doctor));
  const now = (await fx.node.status()).headTime;
  for (const type of ['license', 'emergency'] as const)
    await ok(
      as(org).issueCredential({
        practitioner: doctor.id,
        type,
        validFrom: now - 3_600_000,
        validUntil: now + 86_400_000,
      }),
    );
  await ok(
    as(alice).addRecord({
      record,
      patient: alice.id,
      resourceType: 'Observation',
      commitment: newRecordId(),
      locator: new TextEncoder().encode('vault:console-test'),
      custodian: org.id,
    }),
  );
});

test.after(async () => {
  await fx?.close();
});

test('a patient imports her key file and grants a 48-hour consent to a doctor', async () => {
  if (fx === null) return;
  patientPage = await f().newPage();
  const first = await patientPage.evaluate(
    () => performance.getEntriesByName('medchain-first-render')[0]?.startTime ?? -1,
  );
  assert.ok(first > 0, 'the app rendered');
  process.stdout.write(
    `\nconsole: first render ${first.toFixed(0)} ms after navigation start (localhost, loaded machine)\n`,
  );
  await f().signIn(patientPage, await f().keyFile(alice, 'alice', 'alice-pw'), 'alice-pw', 'Who looked');
  // The key is kept on the device encrypted only: the stored JSON is the keystore file.
  const stored = await patientPage.evaluate(() => localStorage.getItem('medchain.keystores') ?? '');
  assert.match(stored, '"ciphertext"');
  assert.not.match(stored, hex(alice.secretKey).slice(2));

  await view(patientPage, 'My consents');
  await patientPage.fill('#grantee', hex(doctor.id));
  await patientPage.fill('#grantee-name', 'Dr. Grey');
  await patientPage.check('input[name=types][value=Observation]');
  await patientPage.selectOption('#hours', '48');
  await patientPage.click('text=Grant access');
  await patientPage.locator('li.consent[data-status=active]', { hasText: 'Dr. Grey' }).waitFor();
  await shot(patientPage, 'consent-granted');
  const c = await f().node.call('consent_listByPatient', { patient: hex(alice.id) });
  assert.is(c.consents.length, 1);
  const left = (c.consents[0]?.expiresAt ?? 0) - Date.now();
  assert.ok(left > 47 * 3_600_000 && left <= 48 * 3_600_000, `48 hours (${left} ms left)`);
});

test("the doctor's access appears in her view without a reload, verified", async () => {
  if (fx === null) return;
  await view(patientPage, 'Who looked at my records');
  await patientPage.locator('text=Nobody has accessed your records yet.').waitFor();
  await f().ok(
    f()
      .as(doctor)
      .access({ patient: alice.id, records: [record], purpose: 'TREAT' }),
  );
  const entry = patientPage.locator('li.entry[data-kind=access][data-outcome=granted][data-verified=true]');
  await entry.waitFor();
  assert.match((await entry.textContent()) ?? '', 'Dr. Grey');
  assert.match((await entry.textContent()) ?? '', 'for treatment');
  await shot(patientPage, 'who-looked-granted');
});

test('the doctor sees the records her consent lets him read, checks access from the list and prepares to open one', async () => {
  if (fx === null) return;
  doctorPage = await f().pageAs(doctor, 'dr-grey', 'My patients');
  const item = doctorPage.locator(`[data-patient="${hex(alice.id)}"] li[data-record="${hex(record)}"]`);
  // The custodian's name arrives after the list (a lookup of its own): wait for it, not just the row.
  await doctorPage
    .locator(`[data-patient="${hex(alice.id)}"] li[data-record="${hex(record)}"]`, { hasText: 'Kept by Hospital A' })
    .waitFor();
  const text = (await item.textContent()) ?? '';
  assert.match(text, 'Observation');
  assert.match(text, 'Kept by Hospital A');
  assert.match(text, 'you may read it for treatment');
  await item.getByRole('button', { name: /^Check access to the Observation/ }).click();
  await doctorPage.locator('.status', { hasText: 'Allowed: you may read this record for treatment.' }).waitFor();
  await item.getByRole('button', { name: /^Open the Observation/ }).click();
  assert.is(await doctorPage.inputValue('#open-record'), hex(record));
  // Opening is recorded on chain: the list fills the form and focuses its button, the doctor confirms.
  assert.is(await doctorPage.evaluate(() => document.activeElement?.textContent), 'Open the record');
  await shot(doctorPage, 'clinician-records');
  await usableAt375(doctorPage, 'clinician-records');
});

test('she revokes; the next access appears as denied', async () => {
  if (fx === null) return;
  await view(patientPage, 'My consents');
  await patientPage.click('button:has-text("Revoke")');
  await patientPage.locator('li.consent[data-status=revoked]').waitFor();
  await view(patientPage, 'Who looked at my records');
  const r = await f().node.send(
    f()
      .as(doctor)
      .access({ patient: alice.id, records: [record], purpose: 'TREAT' }),
  );
  assert.is(r.status, 'denied');
  const denied = patientPage.locator('li.entry[data-outcome=denied][data-verified=true]');
  await denied.waitFor();
  assert.match((await denied.textContent()) ?? '', 'consent revoked');
  await shot(patientPage, 'who-looked-denied');
});

test('she downloads her accounting of disclosures as CSV and as a FHIR Bundle', async () => {
  if (fx === null) return;
  const [csv] = await Promise.all([
    patientPage.waitForEvent('download'),
    patientPage.click('text=Download the list (CSV)'),
  ]);
  const rows = readFileSync((await csv.path()) as string, 'utf8')
    .trim()
    .split('\r\n');
  assert.is(rows.length, 3, 'a header and two accesses');
  assert.match(rows[1] as string, '"Hospital A"');
  assert.ok(rows.some((r) => r.includes('"refused","consent revoked"')));
  assert.ok(rows.some((r) => r.includes('"treatment","allowed"')));
  const [fhir] = await Promise.all([
    patientPage.waitForEvent('download'),
    patientPage.click('text=Download the list (FHIR Bundle)'),
  ]);
  const bundle = JSON.parse(readFileSync((await fhir.path()) as string, 'utf8')) as {
    resourceType: string;
    entry?: { resource: { resourceType: string } }[];
  };
  assert.is(bundle.resourceType, 'Bundle');
  assert.ok((bundle.entry ?? []).filter((e) => e.resource.resourceType === 'AuditEvent').length >= 2);
});

test('an imported FHIR bundle: every stored resource type shows in her records and on chain', async () => {
  if (fx === null) return;
  const vault = await startVault(
    { dir: join(f().files, 'vault'), host: '127.0.0.1', port: 0 },
    { rpcUrl: f().url, custodianSecretKey: org.secretKey, log: { info: () => {}, warn: () => {} } },
  );
  try {
    const p = syntheticPatient(7);
    const resources = [p.patient, p.allergy, p.medication, p.condition, p.observation, p.encounter];
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ resource })) };
    const me = new RecordVault({ client: f().node, chainId: f().chainId, account: alice, vaultUrl: vault.url });
    const summary = await importBundle(me, bundle);
    const types = [...new Set(summary.items.filter((i) => i.status === 'stored').map((i) => i.resourceType))];
    assert.is(types.length, 5, 'allergy, medication, condition, observation and encounter are stored');
    const onChain = await f().node.call('record_listByPatient', { patient: hex(alice.id) });
    for (const t of types)
      assert.ok(
        onChain.records.some((r) => r.resourceType === t),
        `${t} on chain`,
      );
    await view(patientPage, 'My records');
    for (const t of types) await patientPage.locator('li.entry strong', { hasText: t }).first().waitFor();
    await shot(patientPage, 'records-imported');
    await view(patientPage, 'Who looked at my records');
  } finally {
    await vault.close();
  }
});

test('break-glass: highlighted for the patient, queued for the organization, cleared by its review', async () => {
  if (fx === null) return;
  officerPage = await f().newPage();
  await f().signIn(officerPage, await f().keyFile(org, 'hospital-a', 'org-pw'), 'org-pw', 'Emergency access review');
  await officerPage.locator('text=Nothing to review.').waitFor();
  await f().ok(f().as(doctor).breakGlass(alice.id));
  const mine = patientPage.locator('li.entry.emergency[data-kind="emergency.opened"][data-verified=true]');
  await mine.waitFor();
  assert.match((await mine.textContent()) ?? '', 'break the glass');
  await shot(patientPage, 'who-looked-break-glass');
  const queued = officerPage.locator('#open-h + ul li[data-session]');
  await queued.waitFor();
  await shot(officerPage, 'review-queue-open');
  await queued.getByRole('button', { name: 'Justified', exact: true }).click();
  await officerPage.locator('h2', { hasText: 'Waiting for review (0)' }).waitFor();
  await officerPage.locator('li[data-session]', { hasText: 'Justified' }).waitFor();
  await patientPage.locator('li.entry[data-kind="emergency.reviewed"]', { hasText: 'justified' }).waitFor();
  await shot(officerPage, 'review-queue-cleared');
});

test("the explorer's height advances", async () => {
  if (fx === null) return;
  await view(officerPage, 'Chain explorer');
  const h = officerPage.locator('[data-testid=head-height]');
  await h.waitFor();
  const before = Number(await h.textContent());
  await officerPage.waitForFunction(
    (b) => Number(document.querySelector('[data-testid=head-height]')?.textContent) > b + 1,
    before,
    { timeout: WAIT },
  );
  await shot(officerPage, 'explorer');
});

test("the explorer shows each validator's votes and missed blocks, and charts finality and throughput", async () => {
  if (fx === null) return;
  await view(officerPage, 'Chain explorer');
  // One validator: it signed every block of the window and missed none.
  const row = officerPage.locator(`tr[data-validator="${hex(org.id)}"]`);
  await row.waitFor();
  assert.ok(Number(await row.getAttribute('data-signed')) > 0);
  assert.is(await row.getAttribute('data-missed'), '0');
  assert.match((await row.textContent()) ?? '', 'Hospital A');
  assert.match((await officerPage.getByTestId('later-rounds').textContent()) ?? '', 'first round');
  const chart = officerPage.getByTestId('finality-chart');
  assert.ok((await chart.locator('svg rect').count()) > 0, 'bars drawn');
  assert.match((await chart.locator('p').textContent()) ?? '', /\(median\)/);
  // The numbers, for screen readers and keyboards: the disclosure opens with Enter.
  await chart.locator('summary').focus();
  await officerPage.keyboard.press('Enter');
  assert.ok((await chart.locator('tbody tr').count()) > 0, 'a row per block');
  await shot(officerPage, 'explorer-activity');
});

test("with the node's operator token, a block's transactions are listed (names only the operator sees)", async () => {
  if (fx === null) return;
  const sent = await f().node.send(
    f()
      .as(doctor)
      .access({ patient: alice.id, records: [record], purpose: 'TREAT' }),
  );
  const { height } = sent;
  const txs = officerPage.getByTestId('block-txs');
  assert.is(await txs.count(), 0, 'not shown without the token');
  await officerPage.fill('#operator-token', 'not-the-token');
  await officerPage.click('text=Show operator data');
  await officerPage.getByRole('alert').waitFor();
  await officerPage.fill('#operator-token', operatorToken());
  await officerPage.keyboard.press('Enter');
  await txs.waitFor();
  await officerPage.locator('[data-testid=peers]', { hasText: 'connected' }).waitFor();
  await officerPage.fill('#block-height', String(height));
  await officerPage.click('text=Show its transactions');
  const item = txs.locator(`li[data-tx="${sent.txHash}"]`);
  await item.waitFor();
  assert.match((await item.textContent()) ?? '', /^access, signed by /);
  await shot(officerPage, 'explorer-operator');
  await usableAt375(officerPage, 'explorer-operator');
});

test('the explorer lists a governance proposal with its proposer, votes and outcome', async () => {
  if (fx === null) return;
  await f().ok(f().as(org).proposeOrganization(generateAccount(), 'Clinic B'));
  // One validator: its own vote approves; the change takes effect a few blocks later.
  // Named once in effect: the chain knows the new organization's name from then on.
  const item = officerPage.locator('li[data-proposal][data-status=applied]', {
    hasText: 'Add an organization: Clinic B',
  });
  await item.waitFor();
  const text = (await item.textContent()) ?? '';
  assert.match(text, 'Proposed by Hospital A');
  assert.match(text, '1 vote in favour: Hospital A');
  assert.match(text, /In effect since block \d+/);
  await shot(officerPage, 'explorer-governance');
});

test('every view: no serious or critical axe violations, usable at 375 px', async () => {
  if (fx === null) return;
  const views: [Page, string, string][] = [
    [patientPage, 'Who looked at my records', 'who-looked'],
    [patientPage, 'My consents', 'consents'],
    [patientPage, 'My records', 'records'],
    [patientPage, 'Chain explorer', 'explorer'],
    [officerPage, 'Emergency access review', 'review'],
  ];
  // The doctor at the console: checking before acting says the revoked consent no longer covers the record.
  await view(doctorPage, 'My patients');
  await doctorPage.fill('#check-record', hex(record));
  await doctorPage.click('text=Check access');
  await doctorPage.locator('.status', { hasText: 'Not allowed: consent revoked' }).waitFor();
  views.push([doctorPage, 'My patients', 'clinician']);
  const signInPage = await f().newPage();
  for (const [page, title, name] of [...views, [signInPage, 'Sign in', 'signin'] as [Page, string, string]])
    await checkView(page, title, name);
});

test('the pages asked nothing of any host but the node', () => {
  if (fx === null) return;
  assert.ok(f().requested.length > 0);
  assert.equal(f().foreignRequests(), []);
});

test.run();
