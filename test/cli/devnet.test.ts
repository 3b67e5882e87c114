/**
 * `medchain devnet`'s terminal: by default one status line per node (height, peers, txs/s) and no
 * per-block log lines; `--verbose` prints the nodes' log lines (the per-block `committed` among them).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePorts, until } from '../helpers/procs.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'medchain-devnet-'));

/** Runs a one-validator devnet until `done(output)` holds, then stops it with SIGTERM; returns the output. */
async function devnet(extra: string[], done: (out: string) => boolean): Promise<string> {
  // The ops listener too: its default (9545) may be held by another devnet on this machine.
  const [p2p, rpc, ops] = (await freePorts(3)) as [number, number, number];
  const home = join(tmp, `net-${p2p}`);
  const p: ChildProcess = spawn(
    process.execPath,
    [
      cli,
      'devnet',
      '--validators',
      '1',
      '--home',
      home,
      '--base-port',
      String(p2p),
      '--rpc-port',
      String(rpc),
      '--ops-port',
      String(ops),
      '--heartbeat-ms',
      '200',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  p.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((r) => p.once('exit', r));
  try {
    await until('devnet output', 60_000, async () => (done(out) ? true : undefined));
  } finally {
    p.kill('SIGTERM');
    await exited;
  }
  return out;
}

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('by default: a status line per node with height, peers and txs/s; no per-block log lines', async () => {
  const out = await devnet([], (o) => /node0\s+height\s+[1-9]\d*\s+peers \S+\s+txs\/s\s+\d+\.\d/.test(o));
  assert.match(out, /--verbose prints every log line/);
  // Each node's console URL, on the node's JSON-RPC port.
  assert.match(out, /node0\s+console http:\/\/127\.0\.0\.1:\d+\/console\//);
  assert.not.match(out, /\bcommitted\b/);
});

test('--verbose prints the nodes’ log lines, the per-block ones too', async () => {
  const out = await devnet(['--verbose'], (o) => /\[consensus\] committed/.test(o));
  assert.not.match(out, /node0\s+height\s+\d+\s+peers/);
});

test.run();
