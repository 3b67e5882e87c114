/**
 * Snapshot join between real node processes: a full node with `snapshot.join` joins a running
 * devnet from a certified recent state (not from block 1), then follows the chain; RPC says which
 * heights it serves and refuses older blocks with a coded error.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addFullNode, rpc, TestNet, type TestNode, until } from '../helpers/procs.js';

let net: TestNet;
let joiner: TestNode;
const MIN = 15;

test.before(async () => {
  net = await TestNet.create(4);
  joiner = await addFullNode(net, 'joiner');
  const file = join(joiner.home, 'config.json');
  const cfg = JSON.parse(await readFile(file, 'utf8'));
  cfg.snapshot = { join: true, minHeight: MIN };
  await writeFile(file, JSON.stringify(cfg, null, 2));
  for (let i = 0; i < 4; i++) net.start(i);
});

test.after(async () => {
  await net?.close();
});

test('a fresh full node joins a running devnet by snapshot, then follows; blocks below the snapshot are CHAIN_BLOCK_NOT_RETAINED', async () => {
  await net.waitHeight(0, MIN + 2, 120_000);
  net.start(4);
  const status = await until('joiner serving', 120_000, async () =>
    rpc<{ headHeight: number; earliestHeight: number }>(joiner.rpc, 'chain_getStatus'),
  );
  // It started from a snapshot: no block 1, a head at least at the snapshot height.
  assert.ok(status.earliestHeight >= MIN, `earliest ${status.earliestHeight}`);
  assert.ok(status.headHeight >= status.earliestHeight);
  const out = joiner.output.join('');
  assert.match(out, /joined by snapshot/);
  const target = (await net.height(0)) + 3;
  await net.waitHeight(4, target, 120_000);
  for (const h of [status.earliestHeight, target]) {
    const [a, b] = await Promise.all([net.header(0, h), net.header(4, h)]);
    assert.is(b.hash, a.hash, `hash at ${h}`);
    assert.is(b.stateRoot, a.stateRoot, `root at ${h}`);
  }
  const err = (await rpc(joiner.rpc, 'chain_getBlock', [1]).catch((e: unknown) => e)) as { data?: { code?: string } };
  assert.is(err.data?.code, 'CHAIN_BLOCK_NOT_RETAINED');
});

test.run();
