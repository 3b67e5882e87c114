/**
 * `medchain vault` and the vault mode of `medchain start` against a real one-validator devnet: the
 * custodian key opened from the encrypted keystore, a wrong or missing password refused before
 * anything listens, exactly one key source, a group/world-readable plain key file refused, and
 * SIGTERM stopping the vault (with its node in start mode).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import { loud } from '../helpers/hooks.js';
import { freePorts, rpc, TestNet, until } from '../helpers/procs.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'medchain-vcli-'));
const keystore = join(tmp, 'keystore');
const PASSWORD = 'correct horse battery staple';
let net: TestNet;
let env: NodeJS.ProcessEnv;
let orgId = '';
const running = new Set<ChildProcess>();

interface Proc {
  proc: ChildProcess;
  out: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Spawns `medchain ...`; every process is killed in `after` if a test left it running. */
function spawnCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawn(process.execPath, [cli, ...args], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  return { proc, out: () => out, exited };
}

/** A command that must end on its own (a failure to start): its exit code and output. */
async function fails(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  const p = spawnCli(args, extraEnv);
  const guard = setTimeout(() => p.proc.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(guard);
  return { code, out: p.out() };
}

const health = async (port: number): Promise<{ ok: boolean; custodian: string }> =>
  (await fetch(`http://127.0.0.1:${port}/v1/health`)).json() as Promise<{ ok: boolean; custodian: string }>;

const refused = async (url: string): Promise<boolean> =>
  fetch(url).then(
    () => false,
    () => true,
  );

/** Polls /v1/health until the vault answers; fails at once if the process exits instead. */
async function waitHealthy(p: Proc, port: number): Promise<{ ok: boolean; custodian: string }> {
  let done = false;
  const died = p.exited.then((code) => {
    if (!done) throw new Error(`exited ${code} before serving:\n${p.out()}`);
  });
  try {
    return await Promise.race([
      until(`vault on port ${port}`, 30_000, () => health(port)),
      died.then(() => undefined as never),
    ]);
  } finally {
    done = true;
  }
}

/** SIGTERM, then the process exits 0 by itself. */
async function stop(p: Proc): Promise<void> {
  p.proc.kill('SIGTERM');
  assert.is(await p.exited, 0, p.out());
}

test.before(
  loud('cli/vault', async () => {
    net = await TestNet.create(1, 200);
    net.startAll();
    await net.waitHeight(0, 1, 30_000);
    env = { ...process.env, MEDCHAIN_RPC: net.nodes[0]?.rpc, MEDCHAIN_KEYSTORE: keystore, MEDCHAIN_PASSWORD: PASSWORD };
    const imp = spawnCli(['--json', 'keys', 'import-devnet', '--home', net.dir, '--scrypt-n', '16384']);
    assert.is(await imp.exited, 0, imp.out());
    orgId = (JSON.parse(imp.out()) as { name: string; id: string }[]).find((k) => k.name === 'hospital-a')?.id ?? '';
    assert.match(orgId, /^0x[0-9a-f]{64}$/);
  }),
);

test.after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await net?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('vault --key NAME: opens the key from the keystore, serves /v1/health, stops on SIGTERM', async () => {
  const [port] = (await freePorts(1)) as [number];
  const v = spawnCli(['vault', '--key', 'hospital-a', '--port', String(port), '--dir', join(tmp, 'vault-a')]);
  const h = await waitHealthy(v, port);
  assert.equal(h, { ok: true, custodian: orgId });
  assert.not.match(v.out(), /UNENCRYPTED/);
  await stop(v);
  assert.ok(await refused(`http://127.0.0.1:${port}/v1/health`), 'nothing listens after SIGTERM');
});

test('vault --key: a wrong or missing password exits non-zero before listening', async () => {
  const [port] = (await freePorts(1)) as [number];
  const args = ['vault', '--key', 'hospital-a', '--port', String(port), '--dir', join(tmp, 'vault-b')];
  const wrong = await fails(args, { MEDCHAIN_PASSWORD: 'wrong' });
  assert.is(wrong.code, 6, wrong.out);
  assert.match(wrong.out, /wrong password/);
  const none = await fails(args, { MEDCHAIN_PASSWORD: undefined });
  assert.is(none.code, 2, none.out);
  assert.match(none.out, /no password/);
  const unknown = await fails(['vault', '--key', 'nobody', '--port', String(port)]);
  assert.is(unknown.code, 6, unknown.out);
  assert.match(unknown.out, /no key named nobody/);
  assert.ok(await refused(`http://127.0.0.1:${port}/v1/health`));
});

test('vault: neither or both of --key and --key-file is a usage error', async () => {
  const neither = await fails(['vault', '--port', '0']);
  const both = await fails(['vault', '--key', 'hospital-a', '--key-file', join(tmp, 'k.hex'), '--port', '0']);
  for (const r of [neither, both]) {
    assert.is(r.code, 2, r.out);
    assert.match(r.out, /exactly one of --key <name> .* or --key-file <file>/);
  }
});

test('vault --key-file: refused when group/world readable; a 0600 file works with an UNENCRYPTED warning', async () => {
  const file = join(tmp, 'org.key');
  writeFileSync(file, `${(await readDevnet(net.dir)).nodes[0]?.orgSecretKey}\n`);
  chmodSync(file, 0o644);
  const [port] = (await freePorts(1)) as [number];
  const args = ['vault', '--key-file', file, '--port', String(port), '--dir', join(tmp, 'vault-d')];
  const open = await fails(args);
  assert.is(open.code, 6, open.out);
  assert.match(open.out, /accessible by group or others \(mode 644\)/);
  assert.ok(await refused(`http://127.0.0.1:${port}/v1/health`));

  chmodSync(file, 0o600);
  const v = spawnCli(args);
  assert.equal(await waitHealthy(v, port), { ok: true, custodian: orgId });
  assert.match(v.out(), /UNENCRYPTED/);
  await stop(v);
});

test('start with config vault.enabled + vault.key: serves the vault beside the node; stops with it', async () => {
  const node = net.nodes[0] as (typeof net.nodes)[number];
  await net.kill(0, 'SIGTERM');
  const [port] = (await freePorts(1)) as [number];
  const cfgFile = join(node.home, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, vault: { enabled: true, port, key: 'hospital-a' } }, null, 2));

  // A wrong password starts neither the node nor the vault.
  const wrong = await fails(['start', '--home', node.home], { MEDCHAIN_PASSWORD: 'wrong' });
  assert.is(wrong.code, 6, wrong.out);
  assert.match(wrong.out, /wrong password/);
  assert.ok(await refused(node.rpc));

  // The password from --password-file (the same global option every command has).
  const pwFile = join(tmp, 'password');
  writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  const s = spawnCli(['--password-file', pwFile, 'start', '--home', node.home], { MEDCHAIN_PASSWORD: undefined });
  assert.equal(await waitHealthy(s, port), { ok: true, custodian: orgId });
  assert.ok((await rpc<{ headHeight: number }>(node.rpc, 'chain_getStatus')).headHeight >= 1);
  await stop(s);
  assert.ok(await refused(`http://127.0.0.1:${port}/v1/health`), 'the vault stopped');
  assert.ok(await refused(node.rpc), 'the node stopped');
});

test.run();
