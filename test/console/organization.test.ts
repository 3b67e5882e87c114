/**
 * The compliance officer at the console, in a real browser against a one-validator devnet: a new
 * patient's browser makes a registration request, the officer co-signs it and the patient's
 * browser registers; a practitioner is registered the same way; the officer issues and revokes
 * credentials, sees a practitioner suspended after refused accesses and reinstates them, and
 * reads and downloads the organization's disclosures report. Every new view passes axe at 375 px.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
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
import { operatorToken, TestNet } from '../helpers/procs.js';
import { axe, launch, shot } from './browser.js';

const WAIT = 90_000;
let net: TestNet;
let browser: Browser | null = null;
let node: MedchainClient;
let chainId: string;
let url: string;
let org: Account;
const doctor = generateAccount();
const alice = generateAccount();
const record = newRecordId();
const files = mkdtempSync(join(tmpdir(), 'medchain-console-org-'));
const contexts: BrowserContext[] = [];
let officer: Page;

const as = (a: Account): TxFactory => new TxFactory({ chainId, account: a });

async function ok(tx: { bytes: Uint8Array }): Promise<void> {
  const r = await node.send(tx);
  assert.is(r.status, 'ok', `${r.status} ${r.code ?? ''}`);
}

async function newPage(): Promise<Page> {
  const ctx = await (browser as Browser).newContext({ viewport: { width: 1000, height: 900 } });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  await page.goto(`${url}/console/`);
  return page;
}

const view = (page: Page, title: string) => page.getByRole('navigation').getByText(title, { exact: true }).click();

/** A new person's browser: creates a key and returns the registration request it shows. */
async function joinAs(page: Page, as: 'patient' | 'practitioner', name: string): Promise<string> {
  await page.check(`input[name=as][value=${as}]`);
  await page.fill('#join-name', name);
  await page.fill('#join-password', `${name}-password`);
  await page.click('text=Create my key');
  await page.locator('#join-request').waitFor();
  return page.inputValue('#join-request');
}

/** The officer pastes a request into "Register people". */
async function register(request: string): Promise<void> {
  await view(officer, 'Register people');
  await officer.fill('#onboard-request', request);
  await officer.click('button:has-text("Register")');
}

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
  await ok(
    as(alice).addRecord({
      record,
      patient: alice.id,
      resourceType: 'Observation',
      commitment: newRecordId(),
      locator: new TextEncoder().encode('vault:org-test'),
      custodian: org.id,
    }),
  );
  const file = join(files, 'hospital-a.json');
  writeFileSync(file, JSON.stringify(await encryptKey(org, 'org-pw', 'hospital-a', { N: 2 ** 14, r: 8, p: 1 })));
  officer = await newPage();
  await officer.setInputFiles('#import-file', file);
  await officer.fill('#import-password', 'org-pw');
  await officer.click('text=Import and sign in');
  await officer.locator('h1', { hasText: 'Emergency access review' }).waitFor();
});

test.after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await node?.close();
  await net?.close();
  rmSync(files, { recursive: true, force: true });
});

test("a new patient's browser asks, the officer co-signs, her browser registers and signs her in", async () => {
  if (browser === null) return;
  const carol = await newPage();
  const request = await joinAs(carol, 'patient', 'carol');
  const pubkey = (JSON.parse(request) as { pubkey: string }).pubkey;
  assert.not.match(request, 'secret');
  await register(request);
  const answer = officer.locator('#onboard-answer');
  await answer.waitFor();
  await shot(officer, 'onboarding-cosigned');
  await carol.fill('#join-answer', await answer.inputValue());
  await carol.click('text=Finish registration');
  await carol.locator('h1', { hasText: 'Who looked at my records' }).waitFor();
  // On chain: a patient with that key, onboarded by the organization.
  const listed = await node.call('audit_organization', { org: hex(org.id), kinds: ['identity.registered'] });
  const ids = listed.entries.map((e) => String(e.attrs.id));
  const mine = await Promise.all(ids.map((id) => node.call('identity_get', { id })));
  assert.ok(mine.some((r) => r.identity?.pubkey === pubkey && r.identity.type === 'patient'));
});

test('a practitioner is registered from the request their browser made, then signs in', async () => {
  if (browser === null) return;
  const nurse = await newPage();
  const request = await joinAs(nurse, 'practitioner', 'nurse-joy');
  await register(request);
  await officer.locator('.status', { hasText: 'Practitioner registered' }).waitFor();
  await nurse.click('text=I am registered: sign in');
  await nurse.locator('h1', { hasText: 'My patients' }).waitFor();
  await view(officer, 'My staff');
  await officer.locator('h2', { hasText: 'Practitioners (2)' }).waitFor();
});

test('the officer issues a credential and revokes it', async () => {
  if (browser === null) return;
  await view(officer, 'My staff');
  const item = officer.locator(`li[data-staff="${hex(doctor.id)}"]`);
  await item.waitFor();
  await officer.fill('#issue-practitioner', hex(doctor.id));
  await officer.selectOption('#issue-type', 'emergency');
  await officer.fill('#issue-days', '30');
  await officer.click('button:has-text("Issue")');
  await item.locator('li[data-credential=emergency][data-valid=true]').waitFor();
  const v = await node.call('credential_verify', { practitioner: hex(doctor.id), type: 'emergency' });
  assert.ok(v.valid);
  await item.getByRole('button', { name: /Revoke the Emergency access privilege/ }).click();
  await item.locator('li[data-credential=emergency]', { hasText: 'revoked' }).waitFor();
  const after = await node.call('credential_verify', { practitioner: hex(doctor.id), type: 'emergency' });
  assert.not.ok(after.valid);
  await shot(officer, 'staff-credentials');
});

test('refused accesses suspend a practitioner; the officer sees it live and reinstates', async () => {
  if (browser === null) return;
  await view(officer, 'My staff');
  // Default policy: 5 refusals within an hour suspend (here: no license).
  for (let i = 0; i < 5; i++) {
    const r = await node.send(as(doctor).access({ patient: alice.id, records: [record], purpose: 'TREAT' }));
    assert.is(r.status, 'denied');
  }
  const suspended = officer.locator('#susp-h ~ ul li[data-staff]');
  await suspended.waitFor();
  assert.match((await suspended.textContent()) ?? '', 'Suspended');
  await shot(officer, 'staff-suspended');
  await suspended.getByRole('button', { name: /Reinstate/ }).click();
  await officer.locator('h2', { hasText: 'Suspended (0)' }).waitFor();
  const flagged = officer.locator(`li[data-staff="${hex(doctor.id)}"]`, { hasText: 'Flagged' });
  await flagged.waitFor();
  assert.match((await flagged.textContent()) ?? '', '5 refused accesses');
  const who = await node.call('identity_get', { id: hex(doctor.id) });
  assert.is(who.identity?.suspended, false);
});

test("the organization's disclosures report lists its practitioners' accesses, downloadable as CSV", async () => {
  if (browser === null) return;
  await view(officer, 'Disclosures report');
  await officer.locator('li[data-outcome=denied]').first().waitFor();
  assert.is(await officer.locator('li[data-outcome=denied]').count(), 5);
  const [csv] = await Promise.all([officer.waitForEvent('download'), officer.click('text=Download the report (CSV)')]);
  const rows = readFileSync((await csv.path()) as string, 'utf8')
    .trim()
    .split('\r\n');
  assert.is(rows.length, 6, 'a header and five refused accesses');
  for (const r of rows.slice(1))
    assert.ok(r.includes(`"${hex(doctor.id)}"`) && r.includes('"refused","no valid credential"'), r);
});

test('the new views: no serious or critical axe violations, usable at 375 px', async () => {
  if (browser === null) return;
  const signInPage = await newPage();
  const pages: [Page, string, string][] = [
    [officer, 'My staff', 'staff'],
    [officer, 'Register people', 'onboarding'],
    [officer, 'Disclosures report', 'org-report'],
    [signInPage, 'Sign in', 'signin-join'],
  ];
  for (const [page, title, name] of pages) {
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

test.run();
