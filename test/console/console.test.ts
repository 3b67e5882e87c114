/**
 * The console in a real browser (Debian's Chromium, headless) against a real one-validator devnet
 * process, as people use it: a patient imports her key file and grants a 48-hour consent; the
 * doctor's accesses (SDK) appear live in her "who looked", verified in the browser; she revokes and
 * the next access is denied; a break-glass access is highlighted for her and queued for the
 * organization, whose officer reviews it; the explorer follows the chain. Every view is scanned
 * with axe-core and shown at 375 px. Screenshots go to test-results/console.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import { importBundle } from '../../src/client/fhir-import.js';
import {
  type Account,
  accountFromSecret,
  encryptKey,
  generateAccount,
  hex,
  MedchainClient,
  newRecordId,
  TxFactory,
} from '../../src/client/index.js';
import { RecordVault } from '../../src/client/vault/index.js';
import { startVault } from '../../src/vault/index.js';
import { operatorToken, TestNet } from '../helpers/procs.js';
import { syntheticPatient } from '../vault/fhir.js';
import { axe, launch, shot } from './browser.js';

const WAIT = 90_000;
const FAST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

let net: TestNet;
let browser: Browser | null = null;
let node: MedchainClient;
let chainId: string;
let url: string;
let org: Account;
const alice = generateAccount();
const doctor = generateAccount();
const record = newRecordId();
const files = mkdtempSync(join(tmpdir(), 'medchain-console-keys-'));
const contexts: BrowserContext[] = [];
let patientPage: Page;
let officerPage: Page;
/** Every URL the pages asked for: all must be the node's. */
const requested: string[] = [];

const as = (a: Account): TxFactory => new TxFactory({ chainId, account: a });

async function ok(tx: { bytes: Uint8Array }): Promise<void> {
  const r = await node.send(tx);
  assert.is(r.status, 'ok', `${r.status} ${r.code ?? ''}`);
}

async function keyFile(a: Account, name: string, password: string): Promise<string> {
  const file = join(files, `${name}.json`);
  writeFileSync(file, JSON.stringify(await encryptKey(a, password, name, FAST_SCRYPT)));
  return file;
}

async function newPage(): Promise<Page> {
  const ctx = await (browser as Browser).newContext({ viewport: { width: 1000, height: 900 } });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${url}/console/`);
  return page;
}

async function signIn(page: Page, file: string, password: string, heading: string): Promise<void> {
  await page.setInputFiles('#import-file', file);
  await page.fill('#import-password', password);
  await page.click('text=Import and sign in');
  await page.locator('h1', { hasText: heading }).waitFor();
}

// Exact names: "My records" is also a substring of "Who looked at my records".
const view = (page: Page, title: string) => page.getByRole('navigation').getByText(title, { exact: true }).click();

test.before(async () => {
  browser = await launch();
  if (browser === null) return;
  net = await TestNet.create(1, 200);
  net.startAll();
  await net.waitHeight(0, 1, 60_000);
  const m = await readDevnet(net.dir);
  org = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
  url = net.nodes[0]?.rpc as string;
  node = MedchainClient.http(url, { token: operatorToken() });
  chainId = (await node.status()).chainId;
  await ok(as(alice).registerPatient(org));
  await ok(as(org).registerPractitioner(doctor));
  const now = (await node.status()).headTime;
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
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await node?.close();
  await net?.close();
  rmSync(files, { recursive: true, force: true });
});

test('a patient imports her key file and grants a 48-hour consent to a doctor', async () => {
  if (browser === null) return;
  patientPage = await newPage();
  const first = await patientPage.evaluate(
    () => performance.getEntriesByName('medchain-first-render')[0]?.startTime ?? -1,
  );
  assert.ok(first > 0, 'the app rendered');
  process.stdout.write(
    `\nconsole: first render ${first.toFixed(0)} ms after navigation start (localhost, loaded machine)\n`,
  );
  await signIn(patientPage, await keyFile(alice, 'alice', 'alice-pw'), 'alice-pw', 'Who looked');
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
  const c = await node.call('consent_listByPatient', { patient: hex(alice.id) });
  assert.is(c.consents.length, 1);
  const left = (c.consents[0]?.expiresAt ?? 0) - Date.now();
  assert.ok(left > 47 * 3_600_000 && left <= 48 * 3_600_000, `48 hours (${left} ms left)`);
});

test("the doctor's access appears in her view without a reload, verified", async () => {
  if (browser === null) return;
  await view(patientPage, 'Who looked at my records');
  await patientPage.locator('text=Nobody has accessed your records yet.').waitFor();
  await ok(as(doctor).access({ patient: alice.id, records: [record], purpose: 'TREAT' }));
  const entry = patientPage.locator('li.entry[data-kind=access][data-outcome=granted][data-verified=true]');
  await entry.waitFor();
  assert.match((await entry.textContent()) ?? '', 'Dr. Grey');
  assert.match((await entry.textContent()) ?? '', 'for treatment');
  await shot(patientPage, 'who-looked-granted');
});

test('she revokes; the next access appears as denied', async () => {
  if (browser === null) return;
  await view(patientPage, 'My consents');
  await patientPage.click('button:has-text("Revoke")');
  await patientPage.locator('li.consent[data-status=revoked]').waitFor();
  await view(patientPage, 'Who looked at my records');
  const r = await node.send(as(doctor).access({ patient: alice.id, records: [record], purpose: 'TREAT' }));
  assert.is(r.status, 'denied');
  const denied = patientPage.locator('li.entry[data-outcome=denied][data-verified=true]');
  await denied.waitFor();
  assert.match((await denied.textContent()) ?? '', 'consent revoked');
  await shot(patientPage, 'who-looked-denied');
});

test('she downloads her accounting of disclosures as CSV and as a FHIR Bundle', async () => {
  if (browser === null) return;
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
  if (browser === null) return;
  const vault = await startVault(
    { dir: join(files, 'vault'), host: '127.0.0.1', port: 0 },
    { rpcUrl: url, custodianSecretKey: org.secretKey, log: { info: () => {}, warn: () => {} } },
  );
  try {
    const p = syntheticPatient(7);
    const resources = [p.patient, p.allergy, p.medication, p.condition, p.observation, p.encounter];
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ resource })) };
    const me = new RecordVault({ client: node, chainId, account: alice, vaultUrl: vault.url });
    const summary = await importBundle(me, bundle);
    const types = [...new Set(summary.items.filter((i) => i.status === 'stored').map((i) => i.resourceType))];
    assert.is(types.length, 5, 'allergy, medication, condition, observation and encounter are stored');
    const onChain = await node.call('record_listByPatient', { patient: hex(alice.id) });
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
  if (browser === null) return;
  officerPage = await newPage();
  await signIn(officerPage, await keyFile(org, 'hospital-a', 'org-pw'), 'org-pw', 'Emergency access review');
  await officerPage.locator('text=Nothing to review.').waitFor();
  await ok(as(doctor).breakGlass(alice.id));
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
  if (browser === null) return;
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

test('every view: no serious or critical axe violations, usable at 375 px', async () => {
  if (browser === null) return;
  const views: [Page, string, string][] = [
    [patientPage, 'Who looked at my records', 'who-looked'],
    [patientPage, 'My consents', 'consents'],
    [patientPage, 'My records', 'records'],
    [patientPage, 'Chain explorer', 'explorer'],
    [officerPage, 'Emergency access review', 'review'],
  ];
  // The doctor at the console: checking before acting says the revoked consent no longer covers the record.
  const doctorPage = await newPage();
  await signIn(doctorPage, await keyFile(doctor, 'dr-grey', 'doc-pw'), 'doc-pw', 'My patients');
  await doctorPage.fill('#check-record', hex(record));
  await doctorPage.click('text=Check access');
  await doctorPage.locator('.status', { hasText: 'Not allowed: consent revoked' }).waitFor();
  views.push([doctorPage, 'My patients', 'clinician']);
  const signInPage = await newPage();
  for (const [page, title, name] of [...views, [signInPage, 'Sign in', 'signin'] as [Page, string, string]]) {
    await page.setViewportSize({ width: 375, height: 800 });
    await view(page, title);
    await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
    const bad = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.equal(bad, [], `${name}: ${JSON.stringify(bad)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways at 375 px (${overflow} px)`);
    await shot(page, `375-${name}`);
  }
});

test('the pages asked nothing of any host but the node', () => {
  if (browser === null) return;
  assert.ok(requested.length > 0);
  const foreign = requested.filter((u) => !u.startsWith(`${url}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.equal(foreign, []);
});

test.run();
