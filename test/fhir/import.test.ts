/**
 * FHIR bundles in, on a real one-validator devnet with hospital A's vault: a generated Synthea-style
 * patient bundle (transaction Bundle, urn:uuid references) is imported through the SDK and through
 * `medchain records import`; every supported resource is encrypted client-side, stored in the
 * vault and anchored with its own resource type (record_listByPatient and the FHIR facade's
 * Provenance show every type), unsupported ones (Patient, Practitioner, Claim, an entry without a
 * resource) are reported, and no resource content reaches the chain or the CLI output.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  TxFactory,
} from '../../src/client/index.js';
import { RecordVault } from '../../src/client/vault/index.js';
import { type RunningVault, startVault } from '../../src/vault/index.js';
import { loud } from '../helpers/hooks.js';
import { operatorToken, TestNet } from '../helpers/procs.js';
import { syntheticPatient } from '../vault/fhir.js';
import { fhirSchemaErrors } from './schema.js';
import { sendRetry } from './send.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'medchain-import-'));
const PASSWORD = 'import test password';
let net: TestNet;
let client: MedchainClient;
let chainId: string;
let org: Account;
let vault: RunningVault;
const quiet = { info: () => {}, warn: () => {} };

const STORED_TYPES = [
  'AllergyIntolerance',
  'MedicationStatement',
  'Condition',
  'Observation',
  'Encounter',
  'Immunization',
  'Procedure',
  'DiagnosticReport',
  'CarePlan',
];

/** A Synthea-like transaction bundle of one synthetic patient (never real PHI). */
function syntheaBundle(seed: number): { bundle: Record<string, unknown>; secrets: string[] } {
  const p = syntheticPatient(seed);
  const subject = { reference: `urn:uuid:${String(p.patient.id)}` };
  const extra = [
    {
      resourceType: 'Immunization',
      id: `imm-${seed}`,
      status: 'completed',
      vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] },
      patient: subject,
      occurrenceDateTime: '2024-10-01',
    },
    {
      resourceType: 'Procedure',
      id: `proc-${seed}`,
      status: 'completed',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '430193006' }] },
      subject,
    },
    {
      resourceType: 'DiagnosticReport',
      id: `dr-${seed}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '51990-0' }] },
      subject,
    },
    { resourceType: 'CarePlan', id: `cp-${seed}`, status: 'active', intent: 'plan', subject },
    { resourceType: 'Practitioner', id: `pr-${seed}`, name: [{ family: 'Okonkwo', given: ['Ada'] }] },
    { resourceType: 'Claim', id: `cl-${seed}`, status: 'active' },
  ];
  const resources = [p.patient, p.allergy, p.medication, p.condition, p.observation, p.encounter, ...extra];
  const entry: unknown[] = resources.map((r) => ({
    fullUrl: `urn:uuid:${String(r.id)}`,
    resource: r,
    request: { method: 'POST', url: String(r.resourceType) },
  }));
  entry.push({ fullUrl: 'urn:uuid:empty' });
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry }, secrets: p.secrets };
}

async function registered(): Promise<Account> {
  const a = generateAccount();
  const r = await sendRetry(client, new TxFactory({ chainId, account: a }).registerPatient(org));
  assert.is(r.status, 'ok');
  return a;
}

async function typesOnChain(patient: Account): Promise<string[]> {
  const r = await client.call('record_listByPatient', { patient: hex(patient.id) });
  return r.records.map((x) => x.resourceType).sort();
}

test.before(
  loud('fhir/import', async () => {
    net = await TestNet.create(1, 200);
    net.startAll();
    await net.waitHeight(0, 1, 90_000);
    const m = await readDevnet(net.dir);
    org = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
    const rpcUrl = net.nodes[0]?.rpc as string;
    client = MedchainClient.http(rpcUrl);
    chainId = (await client.status()).chainId;
    vault = await startVault(
      { dir: join(tmp, 'vault'), host: '127.0.0.1', port: 0 },
      { rpcUrl, custodianSecretKey: org.secretKey, log: quiet },
    );
  }),
);

test.after(async () => {
  await vault?.close();
  await client?.close();
  await net?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('importBundle stores every supported resource with its type and reports the others', async () => {
  const patient = await registered();
  const { bundle, secrets } = syntheaBundle(21);
  const progress: number[] = [];
  const me = new RecordVault({ client, chainId, account: patient, vaultUrl: vault.url });
  const s = await importBundle(me, bundle, { onProgress: (_i, done) => progress.push(done) });
  assert.is(s.total, 13);
  assert.is(s.stored, STORED_TYPES.length);
  assert.is(s.failed, 0);
  assert.is(s.unsupported, 4);
  assert.equal(
    s.items.filter((i) => i.status === 'unsupported').map((i) => [i.resourceType, i.reason]),
    [
      ['Patient', 'UNSUPPORTED_TYPE'],
      ['Practitioner', 'UNSUPPORTED_TYPE'],
      ['Claim', 'UNSUPPORTED_TYPE'],
      ['(none)', 'NO_RESOURCE'],
    ],
  );
  assert.equal(
    progress,
    Array.from({ length: 13 }, (_, i) => i + 1),
  );
  assert.equal(await typesOnChain(patient), [...STORED_TYPES].sort());
  // The pointers carry no content: nothing of the resources is on chain.
  const onChain = JSON.stringify(await client.call('record_listByPatient', { patient: hex(patient.id) }));
  for (const x of secrets) assert.not.ok(onChain.includes(x), 'no PHI on chain');
  // The patient's own copy opens to the exact resource.
  const first = s.items.find((i) => i.resourceType === 'Observation');
  const opened = await me.open(Buffer.from(String(first?.record).slice(2), 'hex'), 'TREAT');
  const back = JSON.parse(new TextDecoder().decode(opened.plaintext)) as { resourceType: string };
  assert.is(back.resourceType, 'Observation');
  // And the FHIR facade lists a Provenance per record, each with its type, valid against the R4 schema.
  const res = await fetch(`${net.nodes[0]?.rpc}/fhir/Provenance?patient=${hex(patient.id)}`, {
    headers: { authorization: `Bearer ${operatorToken()}` },
  });
  assert.is(res.status, 200);
  const b = (await res.json()) as { entry: { resource: { target: { type: string }[] } }[] };
  assert.equal(b.entry.map((e) => e.resource.target[0]?.type).sort(), [...STORED_TYPES].sort());
  for (const e of b.entry) assert.equal(fhirSchemaErrors(e.resource), []);
});

test('importBundle refuses what is not a Bundle', async () => {
  const me = new RecordVault({ client, chainId, account: generateAccount(), vaultUrl: vault.url });
  for (const bad of [null, [], { resourceType: 'Patient' }, { resourceType: 'Bundle', entry: {} }]) {
    try {
      await importBundle(me, bad);
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'IMPORT_NOT_A_BUNDLE');
    }
  }
});

test('medchain records import: progress, a summary, every type on chain, no content in the output', async () => {
  const patient = await registered();
  const keystore = join(tmp, 'keystore');
  mkdirSync(keystore, { recursive: true });
  const file = await encryptKey(patient, PASSWORD, 'pat', { N: 16_384, r: 8, p: 1 });
  writeFileSync(join(keystore, 'pat.json'), JSON.stringify(file), { mode: 0o600 });
  const { bundle, secrets } = syntheaBundle(22);
  const bundleFile = join(tmp, 'bundle.json');
  writeFileSync(bundleFile, JSON.stringify(bundle));
  const proc = spawn(
    process.execPath,
    [cli, '--json', 'records', 'import', bundleFile, '--from', 'pat', '--vault', vault.url],
    {
      env: {
        ...process.env,
        MEDCHAIN_RPC: net.nodes[0]?.rpc,
        MEDCHAIN_KEYSTORE: keystore,
        MEDCHAIN_PASSWORD: PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const guard = setTimeout(() => proc.kill('SIGKILL'), 240_000);
  const code = await new Promise<number | null>((r) => proc.on('exit', r));
  clearTimeout(guard);
  assert.is(code, 0, `${out}\n${err}`);
  const summary = JSON.parse(out) as {
    stored: number;
    unsupported: number;
    byType: Record<string, { stored: number }>;
  };
  assert.is(summary.stored, STORED_TYPES.length);
  assert.is(summary.unsupported, 4);
  assert.is(summary.byType.Patient?.stored, 0);
  assert.match(err, /\[13\/13\] \(none\) unsupported \(NO_RESOURCE\)/);
  assert.match(err, /\[2\/13\] AllergyIntolerance stored 0x/);
  for (const x of secrets) assert.not.ok(out.includes(x) || err.includes(x), 'no PHI in the CLI output');
  assert.equal(await typesOnChain(patient), [...STORED_TYPES].sort());
});

test.run();
