/**
 * The `medchain` command against a real one-validator devnet: keys, the README's flow (an
 * organization onboards a patient, a record, a 48-hour consent, an access, a revocation, a denied
 * access, the audit trail verified offline), `--json` output and the exit codes scripts rely on.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loud } from '../helpers/hooks.js';
import { TestNet } from '../helpers/procs.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const keystore = mkdtempSync(join(tmpdir(), 'medchain-keys-'));
let net: TestNet;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output, asserted field by field
  json: any;
}

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
    p.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

async function ok(...args: string[]): Promise<Run> {
  const r = await medchain(...args);
  assert.is(r.code, 0, `medchain ${args.join(' ')}\n${r.stderr}${r.stdout}`);
  return r;
}

test.before(
  loud('cli/cli', async () => {
    net = await TestNet.create(1, 200);
    net.startAll();
    await net.waitHeight(0, 1, 30_000);
    env = {
      ...process.env,
      MEDCHAIN_RPC: net.nodes[0]?.rpc,
      MEDCHAIN_KEYSTORE: keystore,
      MEDCHAIN_PASSWORD: 'correct horse battery staple',
    };
  }),
);

test.after(async () => {
  await net?.close();
  rmSync(keystore, { recursive: true, force: true });
});

const COMMANDS = ['start', 'devnet', 'init', 'keys', 'tx', 'status', 'query', 'audit', 'backup', 'restore', 'records'];

test('--help at every level exits 0; bad usage exits 2', async () => {
  const top = await ok('--help');
  for (const c of [...COMMANDS, 'vault']) assert.match(top.stdout, new RegExp(`\\n  ${c} +\\S`), c);
  // Each command's own module defines it (its options and subcommands), found past global options.
  const helps = await Promise.all(
    [
      ...COMMANDS.map((c) => ['--rpc', 'http://127.0.0.1:1', c, '--help']),
      ['--json', 'vault', '--help'],
      ['tx', 'grant-consent', '--help'],
      ['query', 'access', '--help'],
    ].map((args) => ok(...args)),
  );
  for (const [i, r] of helps.entries()) assert.match(r.stdout, /Usage: medchain .*\[options\]/, String(i));
  // `help tx` prints tx's help (exit 2, as `medchain tx` alone: commander's code for both).
  assert.match((await medchain('help', 'tx')).stdout, /grant-consent/);
  // The helps above, read again (no process more): records import from its own module; devnet's options.
  const help = (c: string): string => helps[COMMANDS.indexOf(c)]?.stdout ?? '';
  assert.match(help('records'), /\n {2}import /, 'records import from its own module');
  assert.match(help('devnet'), /--validators <n>/);
  const bad = await Promise.all([
    medchain('tx', 'grant-consent', '--from', 'x', '--grantee', '0x00', '--purposes', 'GOSSIP'),
    medchain('nope'),
    medchain('query', 'identity', 'not-an-id'),
  ]);
  for (const r of bad) assert.is(r.code, 2, r.stderr);
  assert.match((await medchain('tz')).stderr, /Did you mean tx\?/, 'a typo is still matched against every command');
});

test('keys: import the devnet organizations, create keys, list and show them', async () => {
  const imp = await ok('--json', 'keys', 'import-devnet', '--home', net.dir, '--scrypt-n', '16384');
  assert.is(imp.json[0].name, 'hospital-a');
  await ok('keys', 'new', 'alice', '--scrypt-n', '16384');
  await ok('keys', 'new', 'drbob', '--scrypt-n', '16384');
  assert.is((await medchain('keys', 'new', 'alice', '--scrypt-n', '16384')).code, 2, 'never overwrites a key');
  const list = await ok('--json', 'keys', 'list');
  assert.equal(
    list.json.map((k: { name: string }) => k.name),
    ['alice', 'drbob', 'hospital-a'],
  );
  const show = await ok('--json', 'keys', 'show', 'alice', '--check');
  assert.is(show.json.passwordOk, true);
  env.MEDCHAIN_PASSWORD = 'wrong';
  const wrong = await medchain('keys', 'show', 'alice', '--check');
  assert.is(wrong.code, 6);
  assert.match(wrong.stderr, /wrong password for key alice/);
  env.MEDCHAIN_PASSWORD = 'correct horse battery staple';
  assert.is((await medchain('keys', 'show', 'nobody')).code, 6);
  const noFile = await medchain('keys', 'import', 'org', '--secret-file', join(keystore, 'org.key'));
  assert.is(noFile.code, 6, 'a missing org.key is a key file error, not a crash');
  assert.match(noFile.stderr, /cannot read the secret key file .*org\.key.*key ceremony/);
});

let record = '';
let consent = '';

test('the README flow: onboard, anchor, grant 48h, access, revoke, denied, audit --verify', async () => {
  const status = await ok('--json', 'status');
  assert.is(status.json.chainId, 'test-devnet');
  await ok('tx', 'register-patient', '--from', 'alice', '--org', 'hospital-a');
  await ok('tx', 'register-practitioner', '--from', 'hospital-a', '--practitioner', 'drbob');
  await ok(
    'tx',
    'issue-credential',
    '--from',
    'hospital-a',
    '--practitioner',
    '@drbob',
    '--type',
    'license',
    '--valid-until',
    '+365d',
  );
  record = `0x${'5a'.repeat(32)}`;
  await ok(
    'tx',
    'add-record',
    '--from',
    'alice',
    '--patient',
    '@alice',
    '--type',
    'Observation',
    '--commitment',
    `0x${'c0'.repeat(32)}`,
    '--locator',
    'vault:lab-42',
    '--custodian',
    '@hospital-a',
    '--record',
    record,
  );
  const grant = await ok(
    '--json',
    'tx',
    'grant-consent',
    '--from',
    'alice',
    '--grantee',
    '@drbob',
    '--record',
    record,
    '--purposes',
    'TREAT',
    '--hours',
    '48',
  );
  consent = grant.json.consent;
  assert.is(grant.json.status, 'ok');
  assert.match(consent, /^0x[0-9a-f]{64}$/);

  const check = await ok('--json', 'query', 'access', '@drbob', record, '--purpose', 'TREAT');
  assert.is(check.json.consent, consent);
  const access = await ok(
    '--json',
    'tx',
    'access',
    '--from',
    'drbob',
    '--patient',
    '@alice',
    '--record',
    record,
    '--purpose',
    'TREAT',
  );
  assert.is(access.json.events[0].attrs.granted, true);

  await ok('tx', 'revoke-consent', '--from', 'alice', '--grantee', '@drbob', '--consent', consent);
  const denied = await medchain(
    '--json',
    'tx',
    'access',
    '--from',
    'drbob',
    '--patient',
    '@alice',
    '--record',
    record,
    '--purpose',
    'TREAT',
  );
  assert.is(denied.code, 5, 'a denied access exits 5');
  assert.is((await medchain('query', 'access', '@drbob', record)).code, 5);

  const audit = await ok('--json', 'audit', '@alice', '--kinds', 'access', '--verify');
  assert.equal(
    audit.json.entries.map((e: { attrs: { granted: boolean } }) => e.attrs.granted),
    [true, false],
  );
  assert.equal(audit.json.verified, [true, true]);
  const human = await ok('audit', '@alice');
  assert.match(human.stdout, /GRANTED TREAT/);
  assert.match(human.stdout, /DENIED REVOKED/);
  const disc = await ok('--json', 'audit', '@alice', '--disclosures');
  assert.is(disc.json.disclosures.length, 2);
});

test('queries print tables or JSON; a missing thing exits 3, an unreachable node 4', async () => {
  const c = await ok('query', 'consent', consent);
  assert.match(c.stdout, /status\s+revoked/);
  const list = await ok('--json', 'query', 'consents', '--patient', '@alice');
  assert.is(list.json.consents[0].id, consent);
  const rec = await ok('query', 'records', '@alice');
  assert.match(rec.stdout, /Observation/);
  await ok('query', 'identity', '@drbob');
  await ok('query', 'credentials', '@drbob');
  await ok('query', 'block');
  await ok('query', 'validators');
  const missing = await medchain('--json', 'query', 'consent', `0x${'00'.repeat(32)}`);
  assert.is(missing.code, 3);
  assert.is(missing.json.error.reason, 'CONSENT_NOT_FOUND');
  const down = await medchain('--rpc', 'http://127.0.0.1:1', 'status');
  assert.is(down.code, 4);
  assert.match(down.stderr, /is a node running there\? Check --rpc or MEDCHAIN_RPC/);
});

test('keys new refuses a weak scrypt cost: --scrypt-n 2 exits 2 with KEYSTORE_WEAK_PARAMS', async () => {
  const r = await medchain('keys', 'new', 'weak', '--scrypt-n', '2');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /KEYSTORE_WEAK_PARAMS/);
  assert.is((await medchain('keys', 'show', 'weak')).code, 6, 'no key file was written');
});

test('MEDCHAIN_SCRYPT_N sets the cost of new key files, under the same floor as --scrypt-n', async () => {
  const saved = env;
  try {
    env = { ...saved, MEDCHAIN_SCRYPT_N: '2' };
    const weak = await medchain('keys', 'new', 'weak-env');
    assert.is(weak.code, 2, weak.stderr);
    assert.match(weak.stderr, /MEDCHAIN_SCRYPT_N: KEYSTORE_WEAK_PARAMS/);
    env = { ...saved, MEDCHAIN_SCRYPT_N: '32768' };
    await ok('keys', 'new', 'light');
  } finally {
    env = saved;
  }
  const file = JSON.parse(readFileSync(join(keystore, 'light.json'), 'utf8'));
  assert.is(file.crypto.kdfparams.N, 32768);
});

test('tables name identities (keystore name next to a short id); a printed short id is accepted back', async () => {
  const audit = await ok('audit', '@alice', '--kinds', 'access');
  assert.match(audit.stdout, /drbob 0x[0-9a-f]{8}…[0-9a-f]{6}\s+GRANTED TREAT/);
  const vals = await ok('query', 'validators');
  assert.match(vals.stdout, /hospital-a 0x[0-9a-f]{8}…[0-9a-f]{6}/);
  const shortId = /drbob (0x[0-9a-f]{8}…[0-9a-f]{6})/.exec(audit.stdout)?.[1] as string;
  const id = await ok('--json', 'query', 'identity', shortId);
  const full = await ok('--json', 'query', 'identity', '@drbob');
  assert.is(id.json.identity.id, full.json.identity.id);
  const none = await medchain('query', 'identity', '0x00000000…000000');
  assert.is(none.code, 2);
  assert.match(none.stderr, /matches no identity in the keystore/);
});

test('init creates a node home whose config.json and validator key only the owner can read (0600)', async () => {
  const home = join(keystore, 'node-home');
  writeFileSync(join(keystore, 'g.json'), '{}');
  const r = await ok('--json', 'init', '--home', home, '--validator', '--genesis', join(keystore, 'g.json'));
  assert.match(r.json.validatorPubkey, /^0x[0-9a-f]{64}$/);
  assert.is(statSync(join(home, 'config.json')).mode & 0o777, 0o600);
  assert.is(statSync(join(home, 'validator-key.json')).mode & 0o777, 0o600);
});

test.run();
