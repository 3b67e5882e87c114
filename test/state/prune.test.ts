import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBlock } from '../../src/chain/block.js';
import { utf8 } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isCoded } from '../../src/errors.js';
import { ChainState } from '../../state/chain.js';
import { decodeInner } from '../../state/smt/node.js';
import { verifyStateProof } from '../../state/smt/proof.js';
import { SmtErrorCode, SparseMerkleTree } from '../../state/smt/tree.js';
import { dbKey, Prefix } from '../../state/store/db.js';
import { kvGenesis, kvKey, kvMachine, kvTx } from '../helpers/kv-machine.js';

const dir = mkdtempSync(join(tmpdir(), 'medchain-prune-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const genesis = kvGenesis('prune-chain');

async function block(chain: ChainState, h: number): Promise<void> {
  const time = genesis.time + h * 1000;
  // Overwrite the same 300 keys every block: each block supersedes most of the tree.
  const txs = Array.from({ length: 300 }, (_, i) =>
    kvTx(genesis.chainId, utf8(`k${i}`), utf8(`v${h}-${i}`), time + 60_000),
  );
  const exec = chain.execute(time, new Uint8Array(32), txs);
  await chain.commit(
    { header: chain.header(time, new Uint8Array(32), exec), txs: txs.map((t) => t.bytes) },
    exec,
    new Uint8Array(0),
  );
}

test('pruning while blocks commit keeps every live node and frees superseded ones', async () => {
  const d = join(dir, 'a');
  const chain = await ChainState.open({ dir: d, genesis, machine: kvMachine, syncWrites: false });
  for (let h = 1; h <= 6; h++) await block(chain, h);
  const pruning = chain.prune(2);
  // Commits keep going during the sweep.
  for (let h = 7; h <= 9; h++) await block(chain, h);
  const { deleted, live } = await pruning;
  assert.ok(deleted > 0, 'superseded nodes were deleted');
  assert.ok(live > 0);
  for (let i = 0; i < 300; i++) {
    const key = kvKey(utf8(`k${i}`));
    assert.ok(verifyStateProof(chain.head.stateRoot, key, utf8(`v9-${i}`), chain.store.prove(key)), `k${i} at head`);
  }
  // The oldest roots lost their nodes; the kept window did not.
  const rootAt = async (h: number) => decodeBlock((await chain.blocks.getBlock(h)) as Uint8Array).header.stateRoot;
  const kept = SparseMerkleTree.open(chain.store, await rootAt(5), { cacheDepth: 0 });
  assert.ok(verifyStateProof(await rootAt(5), kvKey(utf8('k1')), utf8('v5-1'), kept.prove(sha256(kvKey(utf8('k1'))))));
  const old = await rootAt(1);
  // Straight from LevelDB: the store's node cache may still hold (harmless) copies.
  const fromDisk = { getNode: (h: Uint8Array) => chain.db.getSync(dbKey(Prefix.NODE, h)) };
  assert.throws(
    () => SparseMerkleTree.open(fromDisk, old, { cacheDepth: 0 }).prove(sha256(kvKey(utf8('k1')))),
    (e: unknown) => isCoded(e, SmtErrorCode.MISSING_NODE),
  );
  const { height, stateRoot } = chain.head;
  await chain.close();
  const again = await ChainState.open({ dir: d, genesis, machine: kvMachine });
  assert.is(again.head.height, height);
  const key = kvKey(utf8('k42'));
  assert.ok(verifyStateProof(stateRoot, key, utf8('v9-42'), again.store.prove(key)));
  await again.close();
});

/** Every node reachable from `root` is on disk (the store's node cache would hide a missing one). */
function assertTreeOnDisk(chain: ChainState, root: Uint8Array): number {
  let n = 0;
  const walk = (h: Uint8Array): void => {
    const bytes = chain.db.getSync(dbKey(Prefix.NODE, h));
    assert.ok(bytes !== undefined, 'live node missing from disk');
    n++;
    for (const c of decodeInner(h, bytes as Uint8Array).children) if (c?.kind === 3) walk(c.hash);
  };
  walk(root);
  return n;
}

test('blocks committed while the sweep gathers its roots keep every node they need', async () => {
  const d = join(dir, 'b');
  const chain = await ChainState.open({ dir: d, genesis, machine: kvMachine, syncWrites: false });
  // Tiny blocks (each rewrites one key's path) and a long window: gathering 150 roots takes 150
  // awaited reads, and blocks keep committing meanwhile.
  const small = async (h: number): Promise<void> => {
    const time = genesis.time + h * 1000;
    // After block 1's 300 keys the tree has inner nodes below the root that small blocks leave alone.
    const txs = [kvTx(genesis.chainId, utf8(`k${(h * 37) % 300}`), utf8(`s${h}`), time + 60_000)];
    const exec = chain.execute(time, new Uint8Array(32), txs);
    await chain.commit(
      { header: chain.header(time, new Uint8Array(32), exec), txs: txs.map((t) => t.bytes) },
      exec,
      new Uint8Array(0),
    );
  };
  await block(chain, 1);
  for (let h = 2; h <= 150; h++) await small(h);
  const pruning = chain.prune(150);
  let h = 151;
  let done = false;
  pruning.finally(() => {
    done = true;
  });
  while (!done) await small(h++);
  await pruning;
  await small(h++);
  assert.ok(h > 152, 'blocks committed during the sweep');
  assert.ok(assertTreeOnDisk(chain, chain.head.stateRoot) > 0);
  await chain.close();
});

test.run();
