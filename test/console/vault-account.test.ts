/**
 * The console against a node that serves its organization's vault. A clinician opens a record:
 * the browser signs the access, fetches the ciphertext through the node's /vault (the console's
 * CSP allows its own origin only), decrypts it and shows the FHIR resource readably; the access is
 * on chain. The patient then erases it and sees the custodian's deletion confirmed, adds and
 * removes a delegate, and replaces her key. The views pass axe at 375 px.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateAccount, hex } from '../../src/client/index.js';
import { RecordVault } from '../../src/client/vault/index.js';
import { json, syntheticPatient } from '../vault/fhir.js';
import { shot } from './browser.js';
import { ConsoleNet, usableAt375, view, WAIT } from './fixture.js';

let fx: ConsoleNet | null = null;
const f = (): ConsoleNet => fx as ConsoleNet;
let record: string;
let vaultPort: number;
const alice = generateAccount();
const bob = generateAccount();
let patient: Page;
const doctor = generateAccount();
const synthetic = syntheticPatient(11);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

test.before(async () => {
  vaultPort = await freePort();
  // The node serves its organization's vault (config.vault, a plain key file for the test).
  fx = await ConsoleNet.start({
    beforeStart: (home, org) => {
      const keyFile = join(home, 'vault.key');
      writeFileSync(keyFile, hex(org.secretKey));
      chmodSync(keyFile, 0o600);
      const cfgFile = join(home, 'config.json');
      const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
      writeFileSync(
        cfgFile,
        JSON.stringify({ ...cfg, vault: { enabled: true, port: vaultPort, keyFile: 'vault.key' } }),
      );
    },
  });
  if (fx === null) return;
  const { org, node, chainId } = fx;
  const as = fx.as.bind(fx);
  const ok = fx.ok.bind(fx);
  await ok(as(alice).registerPatient(org));
  await ok(as(bob).registerPatient(org));
  await ok(as(org).registerPractitioner(doctor));
  const now = (await node.status()).headTime;
  await ok(
    as(org).issueCredential({
      practitioner: doctor.id,
      type: 'license',
      validFrom: now - 3_600_000,
      validUntil: now + 86_400_000,
    }),
  );
  // Alice stores an Observation in the vault (directly, as the SDK does) and consents to the doctor.
  const mine = new RecordVault({ client: node, chainId, account: alice, vaultUrl: `http://127.0.0.1:${vaultPort}` });
  const stored = await mine.store(json(synthetic.observation), { resourceType: 'Observation' });
  record = hex(stored.record);
  await ok(
    as(alice).grantConsent({
      grantee: doctor.id,
      types: ['Observation'],
      purposes: ['TREAT'],
      hours: 24,
    }),
  );
});

test.after(async () => {
  await fx?.close();
});

test('the doctor opens the record in the browser through the node: decrypted there, shown readably, recorded on chain', async () => {
  if (fx === null) return;
  const page = await f().pageAs(doctor, 'dr', 'My patients');
  await page.fill('#open-record', record);
  await page.selectOption('#open-purpose', 'TREAT');
  await page.click('text=Open the record');
  const status = page.locator('#open-h ~ .status', { hasText: /^Open(ed|:)/ });
  await status.waitFor();
  const said = (await status.textContent()) ?? '';
  assert.match(said, /^Opened\./, said);
  const summary = page.locator('[data-testid=fhir-summary]');
  await summary.waitFor();
  const value = (synthetic.observation.valueQuantity as { value: number }).value;
  assert.is((await summary.textContent())?.trim(), `Systolic blood pressure: ${value} mm[Hg] (final)`);
  await shot(page, 'open-record');
  assert.ok(
    f().requested.some((u) => u.startsWith(`${f().url}/vault/v1/records/`)),
    'through the node',
  );
  assert.equal(f().foreignRequests(), []);
  const trail = await f().node.call('audit_query', { patient: hex(alice.id), kinds: ['access'] });
  assert.ok(trail.entries.some((e) => e.attrs.grantee === hex(doctor.id) && e.attrs.granted === true));
  // No PHI in the node's output (its log, the proxy's and the vault's).
  const out = f().net.nodes[0]?.output.join('') ?? '';
  for (const secret of synthetic.secrets) assert.not.match(out, secret);
  await usableAt375(page, 'open-record');
});

test("the patient erases the record and sees the custodian's deletion confirmed", async () => {
  if (fx === null) return;
  patient = await f().pageAs(alice, 'alice', 'Who looked');
  await view(patient, 'My records');
  const item = patient.locator(`li[data-record="${record}"]`);
  await item.locator('summary').click();
  await item.getByRole('button', { name: 'Erase the Observation for good' }).click();
  await item.locator('.badge', { hasText: 'Erased' }).waitFor();
  await item.locator('text=the hospital confirmed the deletion').waitFor();
  const r = await f().node.call('record_get', { record });
  assert.ok(r.record?.erased && r.record.deletionReceipt !== null);
  await shot(patient, 'record-erased');
});

test('she adds a delegate and removes them', async () => {
  if (fx === null) return;
  await view(patient, 'My account');
  await patient.fill('#delegate', hex(bob.id));
  await patient.fill('#delegate-days', '30');
  await patient.click('text=Add delegate');
  const item = patient.locator(`li[data-delegate="${hex(bob.id)}"]`);
  await item.waitFor();
  await usableAt375(patient, 'account');
  await item.getByRole('button', { name: /Remove the delegate/ }).click();
  await patient.locator('text=No one.').waitFor();
  const trail = await f().node.call('audit_query', {
    patient: hex(alice.id),
    kinds: ['delegate.set', 'delegate.revoked'],
  });
  assert.equal(
    trail.entries.map((e) => e.type),
    ['delegate.set', 'delegate.revoked'],
  );
});

test('she replaces her key: the new one is saved encrypted, downloaded, and signs her in; the chain has it', async () => {
  if (fx === null) return;
  const before = (await f().node.call('identity_get', { id: hex(alice.id) })).identity?.pubkey;
  await view(patient, 'My account');
  await patient.fill('#rotate-password', 'alice-new-pw');
  const downloaded = patient.waitForEvent('download').catch((err: unknown) => err as Error);
  await patient.click('button:has-text("Replace my key")');
  // The outcome in words first (a refusal would say why), then the file.
  const said = await patient.waitForFunction(
    () => {
      if (document.querySelector('h1')?.textContent === 'Sign in') return 'signed out';
      const t = document.querySelector('.status')?.textContent ?? '';
      return /^New key: (?!making|sending)/.test(t) ? t : null;
    },
    undefined,
    { timeout: WAIT },
  );
  assert.is(await said.jsonValue(), 'signed out', 'back at sign-in once the new key is in use');
  const download = await downloaded;
  if (download instanceof Error) throw download;
  const saved = JSON.parse(readFileSync((await download.path()) as string, 'utf8')) as {
    id: string;
    publicKey: string;
  };
  assert.is(saved.id, hex(alice.id), 'same identity');
  await patient.locator('h1', { hasText: 'Sign in' }).waitFor();
  const after = (await f().node.call('identity_get', { id: hex(alice.id) })).identity?.pubkey;
  assert.is(after, saved.publicKey);
  assert.is.not(after, before);
  await patient.fill('#stored-password', 'alice-new-pw');
  await patient.click('button:has-text("Sign in")');
  await patient.locator('h1', { hasText: 'Who looked' }).waitFor();
});

test.run();
