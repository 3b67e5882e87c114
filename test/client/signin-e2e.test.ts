/**
 * Scoped reads end to end on a real one-validator devnet process: a patient's SDK client signs in
 * and reads its own data only; the operator token still reads everything; the CLI's queries sign
 * in with --as <key>, and without a token or a key personal data is refused.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import {
  type Account,
  accountFromSecret,
  generateAccount,
  hex,
  MedchainClient,
  RpcClientError,
  TxFactory,
} from '../../src/client/index.js';
import { loud } from '../helpers/hooks.js';
import { operatorToken, TestNet } from '../helpers/procs.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
let net: TestNet;
let operator: MedchainClient;
let chainId: string;
let org: Account;
const alice = generateAccount();
const bob = generateAccount();
const keystore = mkdtempSync(join(tmpdir(), 'medchain-signin-keys-'));

test.before(
  loud('client/signin-e2e', async () => {
    net = await TestNet.create(1, 200);
    net.startAll();
    await net.waitHeight(0, 1, 60_000);
    const m = await readDevnet(net.dir);
    org = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
    operator = MedchainClient.http(net.nodes[0]?.rpc as string, { token: operatorToken() });
    chainId = (await operator.status()).chainId;
    for (const p of [alice, bob]) {
      const r = await operator.send(new TxFactory({ chainId, account: p }).registerPatient(org));
      assert.is(r.status, 'ok');
    }
  }),
);

test.after(async () => {
  await operator?.close();
  await net?.close();
  rmSync(keystore, { recursive: true, force: true });
});

test('a patient signs in and reads its own data; another patient is out of its scope', async () => {
  const c = MedchainClient.http(net.nodes[0]?.rpc as string, { account: alice, chainId });
  const me = await c.call('identity_get', { id: hex(alice.id) });
  assert.is(me.identity?.type, 'patient');
  assert.ok(await c.call('audit_query', { patient: hex(alice.id) }));
  try {
    await c.call('audit_query', { patient: hex(bob.id) });
    assert.unreachable('read another patient');
  } catch (err) {
    assert.instance(err, RpcClientError);
    assert.is((err as RpcClientError).reason, 'OUT_OF_SCOPE');
  }
  // The operator token still reads everything.
  assert.is((await operator.call('identity_get', { id: hex(bob.id) })).identity?.type, 'patient');
});

test('a patient registering herself submits and waits for her own registration with her own client', async () => {
  const carol = generateAccount();
  const c = MedchainClient.http(net.nodes[0]?.rpc as string, { account: carol, chainId });
  try {
    // She cannot sign in before her registration is final: the client submits without a session
    // and signs in to read the receipt once it is.
    const r = await c.send(new TxFactory({ chainId, account: carol }).registerPatient(org));
    assert.is(r.status, 'ok');
    assert.is((await c.call('identity_get', { id: hex(carol.id) })).identity?.type, 'patient');
  } finally {
    await c.close();
  }
});

function medchain(
  env: Record<string, string | undefined>,
  ...args: string[]
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('exit', (code) => resolve({ code, out }));
  });
}

test('CLI: queries sign in with --as <key>; without a key or a token personal data is refused', async () => {
  const { MEDCHAIN_RPC_TOKEN: _t, ...rest } = process.env;
  const env = {
    ...rest,
    MEDCHAIN_RPC: net.nodes[0]?.rpc,
    MEDCHAIN_KEYSTORE: keystore,
    MEDCHAIN_PASSWORD: 'correct horse battery staple',
  };
  const secret = join(keystore, 'alice.secret');
  writeFileSync(secret, hex(alice.secretKey).slice(2), { mode: 0o600 });
  const imp = await medchain(env, 'keys', 'import', 'alice', '--secret-file', secret);
  assert.is(imp.code, 0, imp.out);
  const anon = await medchain(env, '--json', 'query', 'identity', hex(alice.id));
  assert.is(anon.code, 3, anon.out);
  assert.match(anon.out, 'OUT_OF_SCOPE');
  const signed = await medchain(env, '--json', '--as', 'alice', 'query', 'identity', hex(alice.id));
  assert.is(signed.code, 0, signed.out);
  assert.match(signed.out, hex(alice.id));
});

test.run();
