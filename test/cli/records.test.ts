/**
 * The ER story through the `medchain` command only, on a two-hospital devnet with hospital A's
 * vault run by `medchain vault`: the patient stores an allergy and a medication list at A, shares
 * them with an ER practitioner at B (48-hour ETREAT consent; the medication consent ends after a
 * few seconds of block time to show expiry), B opens them, is refused EXPIRED after expiry,
 * an emergency practitioner opens under break-glass, the patient erases a record and the vault's
 * signed deletion receipt is shown. Also: a grant on an unknown record or grantee is refused
 * before submission, and a failed grant prints no consent id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loud } from '../helpers/hooks.js';
import { freePorts, rpc, TestNet, until } from '../helpers/procs.js';
import { json, syntheticPatient } from '../vault/fhir.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'medchain-records-'));
let net: TestNet;
let env: NodeJS.ProcessEnv;
let vault: ChildProcess | undefined;
const fx = syntheticPatient(11);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `medchain ...` to its end (killed after 90 s: a hang fails the test, it does not stall it). */
function medchain(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const guard = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await medchain(...args);
  assert.is(r.code, 0, `medchain ${args.join(' ')}\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

test.before(
  loud('cli/records', async () => {
    // Txs make blocks at once; the heartbeat only paces empty blocks, which here just move block
    // time on to the consent's expiry: one a second does that, at a fifth of the idle CPU.
    net = await TestNet.create(2, 1000);
    net.startAll();
    // Two nodes starting on a loaded machine (load 20+) took 58 s to a first block: a generous bound.
    await net.waitHeight(0, 1, 180_000);
    const [port] = (await freePorts(1)) as [number];
    env = {
      ...process.env,
      MEDCHAIN_RPC: net.nodes[0]?.rpc,
      MEDCHAIN_KEYSTORE: join(tmp, 'keystore'),
      MEDCHAIN_PASSWORD: 'correct horse battery staple',
      MEDCHAIN_VAULT: `http://127.0.0.1:${port}`,
    };
    await ok('keys', 'import-devnet', '--home', net.dir, '--scrypt-n', '16384');
    for (const k of ['alice', 'drcarol', 'drdave']) await ok('keys', 'new', k, '--scrypt-n', '16384');
    vault = spawn(
      process.execPath,
      [cli, 'vault', '--key', 'hospital-a', '--port', String(port), '--dir', join(tmp, 'vault')],
      { env, stdio: 'ignore' },
    );
    await until('the vault', 30_000, async () =>
      (await fetch(`${env.MEDCHAIN_VAULT}/v1/health`)).ok ? true : undefined,
    );
    writeFileSync(join(tmp, 'allergy.json'), json(fx.allergy));
    writeFileSync(join(tmp, 'meds.json'), json(fx.medication));
  }),
);

test.after(async () => {
  vault?.kill('SIGTERM');
  await net?.close();
  rmSync(tmp, { recursive: true, force: true });
});

let allergy = '';
let meds = '';

test('hospital B onboards an ER practitioner and an emergency practitioner; A onboards the patient', async () => {
  await ok('tx', 'register-patient', '--from', 'alice', '--org', 'hospital-a');
  for (const d of ['drcarol', 'drdave']) {
    await ok('tx', 'register-practitioner', '--from', 'hospital-b', '--practitioner', d);
    await ok(
      'tx',
      'issue-credential',
      '--from',
      'hospital-b',
      '--practitioner',
      `@${d}`,
      '--type',
      'license',
      '--valid-until',
      '+365d',
    );
  }
  await ok(
    'tx',
    'issue-credential',
    '--from',
    'hospital-b',
    '--practitioner',
    '@drdave',
    '--type',
    'emergency',
    '--valid-until',
    '+30d',
  );
});

test('records store encrypts, uploads and anchors: -q prints only the record id', async () => {
  allergy = await ok(
    'records',
    '-q',
    'store',
    '--from',
    'alice',
    '--type',
    'AllergyIntolerance',
    '--file',
    join(tmp, 'allergy.json'),
  );
  meds = await ok(
    'records',
    '-q',
    'store',
    '--from',
    'alice',
    '--type',
    'MedicationStatement',
    '--file',
    join(tmp, 'meds.json'),
  );
  assert.match(allergy, /^0x[0-9a-f]{64}$/);
  assert.match(await ok('query', 'record', allergy), /AllergyIntolerance/);
});

test('records share grants a 48-hour ETREAT consent and prints its id; the ER practitioner opens the record', async () => {
  const consent = await ok(
    'records',
    '-q',
    'share',
    '--from',
    'alice',
    '--record',
    allergy,
    '--grantee',
    '@drcarol',
    '--purposes',
    'ETREAT',
    '--hours',
    '48',
  );
  assert.match(consent, /^0x[0-9a-f]{64}$/);
  assert.match(await ok('query', 'consent', consent), /status\s+active/);
  const opened = await ok('records', 'open', '--from', 'drcarol', '--record', allergy, '--purpose', 'ETREAT');
  assert.equal(JSON.parse(opened), fx.allergy);
});

test('after a consent expires in block time, records open exits 5 naming EXPIRED and what to do', async () => {
  await ok(
    'records',
    'share',
    '--from',
    'alice',
    '--record',
    meds,
    '--grantee',
    '@drcarol',
    '--purposes',
    'ETREAT',
    '--until',
    '+30s', // long enough for the open below on a loaded machine; the wait after is as long
  );
  assert.equal(
    JSON.parse(await ok('records', 'open', '--from', 'drcarol', '--record', meds, '--purpose', 'ETREAT')),
    fx.medication,
  );
  // Ask the node, not the CLI, while waiting: a CLI process per poll (every 100 ms until expiry)
  // cost more CPU than the rest of this file.
  const carol = (JSON.parse(await ok('--json', 'keys', 'show', 'drcarol')) as { id: string }).id;
  await until('consent expiry in block time', 150_000, async () => {
    const d = await rpc<{ code: string | null }>(net.nodes[0]?.rpc as string, 'access_check', [
      carol,
      meds,
      'read',
      'ETREAT',
      false,
    ]);
    return d.code === 'EXPIRED' ? true : undefined;
  });
  assert.is((await medchain('query', 'access', '@drcarol', meds, '--purpose', 'ETREAT')).code, 5);
  const r = await medchain('records', 'open', '--from', 'drcarol', '--record', meds, '--purpose', 'ETREAT');
  assert.is(r.code, 5, r.stderr);
  assert.match(r.stderr, /VAULT_DENIED \(EXPIRED\)/);
  assert.match(r.stderr, /ask the patient for a new one/);
  assert.is(r.stdout, '', 'no data on a refusal');
});

test('break-glass: denied NO_CONSENT first, then open under an emergency session', async () => {
  const denied = await medchain('records', 'open', '--from', 'drdave', '--record', allergy, '--purpose', 'ETREAT');
  assert.is(denied.code, 5);
  assert.match(denied.stderr, /NO_CONSENT/);
  const session = await ok('tx', 'break-glass', '-q', '--from', 'drdave', '--patient', '@alice');
  assert.match(session, /^0x[0-9a-f]{64}$/);
  const r = await medchain('records', 'open', '--from', 'drdave', '--record', allergy, '--purpose', 'ETREAT');
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), fx.allergy);
  assert.match(r.stderr, new RegExp(`EMERGENCY session ${session}`));
});

test('records erase, then records receipt --wait shows the signed receipt anchored on chain', async () => {
  const eraseTx = await ok('records', '-q', 'erase', '--from', 'alice', '--record', allergy);
  const receipt = JSON.parse(await ok('--json', 'records', 'receipt', '--record', allergy, '--wait'));
  assert.is(receipt.record, allergy);
  assert.is(receipt.eraseTx, eraseTx);
  assert.match(receipt.attestTx, /^0x[0-9a-f]{64}$/);
  assert.match(receipt.signature, /^0x[0-9a-f]+$/);
  const r = await medchain('records', 'open', '--from', 'drcarol', '--record', allergy, '--purpose', 'ETREAT');
  assert.is(r.code, 5);
  assert.match(r.stderr, /ERASED/);
});

test('a grant on an unknown record or to an unknown grantee is refused before submission (exit 2)', async () => {
  const unknown = `0x${'ab'.repeat(32)}`;
  const r1 = await medchain(
    'tx',
    'grant-consent',
    '--from',
    'alice',
    '--grantee',
    '@drcarol',
    '--record',
    unknown,
    '--purposes',
    'TREAT',
  );
  assert.is(r1.code, 2, r1.stderr);
  assert.match(r1.stderr, new RegExp(`no record ${unknown} on chain.*nothing was submitted`));
  assert.not.match(r1.stdout, /consent/);
  const r2 = await medchain(
    'tx',
    'grant-consent',
    '--from',
    'alice',
    '--grantee',
    unknown,
    '--record',
    meds,
    '--purposes',
    'TREAT',
  );
  assert.is(r2.code, 2, r2.stderr);
  assert.match(r2.stderr, /grantee .* is not registered/);
  const r3 = await medchain(
    'records',
    'share',
    '--from',
    'alice',
    '--record',
    allergy,
    '--grantee',
    '@drcarol',
    '--purposes',
    'TREAT',
  );
  assert.is(r3.code, 2, 'an erased record is refused too');
  assert.match(r3.stderr, /was erased/);
});

test('a grant that fails on chain prints no consent id (exit 5)', async () => {
  // hospital-a is an organization, not a patient: the chain refuses its grant for alice.
  const r = await medchain(
    '--json',
    'tx',
    'grant-consent',
    '--from',
    'hospital-a',
    '--patient',
    '@alice',
    '--grantee',
    '@drcarol',
    '--record',
    meds,
    '--purposes',
    'TREAT',
  );
  assert.is(r.code, 5, r.stderr);
  const out = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('\n}\n') + 2));
  assert.is.not(out.status, 'ok');
  assert.is(out.consent, undefined);
  assert.match(r.stderr, /no consent was created/);
});

test.run();
