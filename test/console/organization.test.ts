/**
 * The compliance officer at the console, in a real browser against a one-validator devnet: a new
 * patient's browser makes a registration request, the officer co-signs it and the patient's
 * browser registers; a practitioner is registered the same way; the officer issues and revokes
 * credentials, sees a practitioner suspended after refused accesses and reinstates them, and
 * reads and downloads the organization's disclosures report. Every new view passes axe at 375 px.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Account, generateAccount, hex, newRecordId } from '../../src/client/index.js';
import { shot } from './browser.js';
import { ConsoleNet, checkView, view } from './fixture.js';

let fx: ConsoleNet | null = null;
const f = (): ConsoleNet => fx as ConsoleNet;
let org: Account;
const doctor = generateAccount();
const alice = generateAccount();
const record = newRecordId();
let officer: Page;

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
  fx = await ConsoleNet.start();
  if (fx === null) return;
  org = fx.org;
  const as = fx.as.bind(fx);
  const ok = fx.ok.bind(fx);
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
  officer = await fx.pageAs(org, 'hospital-a', 'Emergency access review');
});

test.after(async () => {
  await fx?.close();
});

test("a new patient's browser asks, the officer co-signs, her browser registers and signs her in", async () => {
  if (fx === null) return;
  const carol = await f().newPage();
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
  const listed = await f().node.call('audit_organization', { org: hex(org.id), kinds: ['identity.registered'] });
  const ids = listed.entries.map((e) => String(e.attrs.id));
  const mine = await Promise.all(ids.map((id) => f().node.call('identity_get', { id })));
  assert.ok(mine.some((r) => r.identity?.pubkey === pubkey && r.identity.type === 'patient'));
});

test('a practitioner is registered from the request their browser made, then signs in', async () => {
  if (fx === null) return;
  const nurse = await f().newPage();
  const request = await joinAs(nurse, 'practitioner', 'nurse-joy');
  await register(request);
  await officer.locator('.status', { hasText: 'Practitioner registered' }).waitFor();
  await nurse.click('text=I am registered: sign in');
  await nurse.locator('h1', { hasText: 'My patients' }).waitFor();
  await view(officer, 'My staff');
  await officer.locator('h2', { hasText: 'Practitioners (2)' }).waitFor();
});

test('the officer issues a credential and revokes it', async () => {
  if (fx === null) return;
  await view(officer, 'My staff');
  const item = officer.locator(`li[data-staff="${hex(doctor.id)}"]`);
  await item.waitFor();
  await officer.fill('#issue-practitioner', hex(doctor.id));
  await officer.selectOption('#issue-type', 'emergency');
  await officer.fill('#issue-days', '30');
  await officer.click('button:has-text("Issue")');
  await item.locator('li[data-credential=emergency][data-valid=true]').waitFor();
  const v = await f().node.call('credential_verify', { practitioner: hex(doctor.id), type: 'emergency' });
  assert.ok(v.valid);
  await item.getByRole('button', { name: /Revoke the Emergency access privilege/ }).click();
  await item.locator('li[data-credential=emergency]', { hasText: 'revoked' }).waitFor();
  const after = await f().node.call('credential_verify', { practitioner: hex(doctor.id), type: 'emergency' });
  assert.not.ok(after.valid);
  await shot(officer, 'staff-credentials');
});

test('refused accesses suspend a practitioner; the officer sees it live and reinstates', async () => {
  if (fx === null) return;
  await view(officer, 'My staff');
  // Default policy: 5 refusals within an hour suspend (here: no license).
  for (let i = 0; i < 5; i++) {
    const r = await f().node.send(
      f()
        .as(doctor)
        .access({ patient: alice.id, records: [record], purpose: 'TREAT' }),
    );
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
  const who = await f().node.call('identity_get', { id: hex(doctor.id) });
  assert.is(who.identity?.suspended, false);
});

test("the organization's disclosures report lists its practitioners' accesses, downloadable as CSV", async () => {
  if (fx === null) return;
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
  if (fx === null) return;
  const signInPage = await f().newPage();
  const pages: [Page, string, string][] = [
    [officer, 'My staff', 'staff'],
    [officer, 'Register people', 'onboarding'],
    [officer, 'Disclosures report', 'org-report'],
    [signInPage, 'Sign in', 'signin-join'],
  ];
  for (const [page, title, name] of pages) await checkView(page, title, name);
});

test.run();
