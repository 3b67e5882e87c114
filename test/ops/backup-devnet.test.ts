/**
 * `medchain backup` of a running validator and `medchain restore`: identical roots at the backup
 * height, and the restored validator rejoins (syncs, then signs again).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackupManifest } from '../../src/ops/backup-format.js';
import { loud } from '../helpers/hooks.js';
import { TestNet, until } from '../helpers/procs.js';
import { parseExposition, value } from './exposition.js';
import { enableOps, opsPorts } from './ops-ports.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const run = async (...args: string[]): Promise<unknown> =>
  JSON.parse((await promisify(execFile)(process.execPath, [cli, '--json', ...args])).stdout);

let net: TestNet;
let ops = '';
const out = mkdtempSync(join(tmpdir(), 'medchain-backup-out-'));
const V = 3;

test.before(
  loud('ops/backup-devnet', async () => {
    net = await TestNet.create(4);
    const [port] = await opsPorts(net, 1);
    await enableOps(net.nodes[V]?.home as string, port as number);
    ops = `http://127.0.0.1:${port}`;
    net.startAll();
  }),
);

test.after(async () => {
  await net?.close();
  rmSync(out, { recursive: true, force: true });
});

const strip = (h: string): string => h.replace(/^0x/, '');

test('backup of a running validator, restore, identical roots; the restored validator syncs and signs again', async () => {
  await net.waitHeight(V, 10, 90_000);
  const dir = join(out, 'b1');
  const m = (await run('backup', '--ops', ops, '--home', net.nodes[V]?.home as string, '--out', dir)) as BackupManifest;
  assert.ok(m.height >= 10);
  // The chain went on while it ran; the backup names a final block every node agrees on.
  await net.waitHeight(0, m.height + 2, 60_000);
  const header = await net.header(0, m.height);
  assert.is(m.stateRoot, strip(header.stateRoot));
  assert.is(m.headHash, strip(header.hash));
  const stored = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
  assert.equal(stored, m);

  // Disaster: the validator's database is gone. Its keys, config and WAL are not.
  await net.kill(V);
  await rm(join(net.nodes[V]?.home as string, 'db'), { recursive: true, force: true });
  const r = (await run('restore', '--from', dir, '--home', net.nodes[V]?.home as string)) as BackupManifest;
  assert.is(r.height, m.height);
  assert.is(r.stateRoot, m.stateRoot);

  net.start(V);
  // Right after start it serves exactly the backup's head, then catches up.
  const first = await until('restored node serving', 60_000, async () => net.header(V, m.height));
  assert.is(strip(first.stateRoot), m.stateRoot);
  const target = (await net.height(0)) + 3;
  await net.waitHeight(V, target, 90_000);
  for (const h of [m.height, m.height + 1, target]) {
    const [a, b] = await Promise.all([net.header(0, h), net.header(V, h)]);
    assert.is(b.hash, a.hash, `hash at ${h}`);
    assert.is(b.stateRoot, a.stateRoot, `root at ${h}`);
  }
  await until('the restored validator signs blocks', 60_000, async () => {
    const e = parseExposition(await (await fetch(`${ops}/metrics`)).text());
    return (value(e, 'medchain_validator_signed_blocks_total') ?? 0) > 0 ? true : undefined;
  });
});

test('a second backup into a directory that holds one is refused; restore over a live db needs --force', async () => {
  const dir = join(out, 'b1');
  await assert.not.ok(
    await run('backup', '--ops', ops, '--out', dir).then(
      () => true,
      () => false,
    ),
  );
  await assert.not.ok(
    await run('restore', '--from', dir, '--home', net.nodes[V]?.home as string).then(
      () => true,
      () => false,
    ),
  );
});

test.run();
