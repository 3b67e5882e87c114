import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Block } from '../../src/chain/block.js';
import { equal, toHex, utf8 } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import { writeBackup } from '../../src/ops/backup.js';
import { RestoreErrorCode, restoreBackup, verifyBackupFile } from '../../src/ops/restore.js';
import { ChainState } from '../../state/chain.js';
import { kvGenesis, kvKey, kvMachine, kvTx } from '../helpers/kv-machine.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'medchain-backup-'));
  dirs.push(d);
  return d;
};
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const genesis = kvGenesis();
const open = (dir: string) => ChainState.open({ dir, genesis, machine: kvMachine });

async function produce(chain: ChainState, n: number): Promise<void> {
  const time = chain.head.time + 1000;
  const proposer = chain.validators[0]?.id as Uint8Array;
  const txs = Array.from({ length: n }, (_, i) =>
    kvTx(genesis.chainId, utf8(`k${chain.head.height}-${i}`), utf8(`v${i}`), time + 60_000),
  );
  const exec = chain.execute(time, proposer, txs);
  const block: Block = { header: chain.header(time, proposer, exec), txs: txs.map((t) => t.bytes) };
  await chain.commit(block, exec, new Uint8Array(0));
}

/** Backs up `chain` into a file, committing `during` more blocks while the backup streams. */
async function backupTo(chain: ChainState, file: string, during = 0) {
  const out = createWriteStream(file);
  let left = during;
  const m = await writeBackup(chain.db, async (chunk) => {
    if (left-- > 0) await produce(chain, 20); // the node keeps committing mid-backup
    await new Promise<void>((r, j) => out.write(chunk, (e) => (e ? j(e) : r())));
  });
  await new Promise<void>((r) => out.end(r));
  return m;
}

test('a backup taken while blocks commit restores to the head it names, with identical roots', async () => {
  const chain = await open(join(tmp(), 'db'));
  for (let i = 0; i < 30; i++) await produce(chain, 50);
  const at = { height: chain.head.height, root: toHex(chain.head.stateRoot), hash: toHex(chain.head.hash) };
  const file = join(tmp(), 'chain.mcb');
  const m = await backupTo(chain, file, 3);
  assert.ok(chain.head.height > at.height, 'commits went on during the backup');
  assert.is(m.height, at.height);
  assert.is(m.stateRoot, at.root);
  assert.is(m.headHash, at.hash);
  assert.is(m.chainId, genesis.chainId);
  await chain.close();

  const home = tmp();
  const restored = await restoreBackup(file, home);
  assert.equal(restored, m);
  const again = await open(join(home, 'db'));
  assert.is(again.head.height, at.height);
  assert.is(toHex(again.head.stateRoot), at.root);
  assert.ok(equal(again.store.get(kvKey(utf8('k5-7'))) as Uint8Array, utf8('v7')));
  // The restored chain goes on from its head like the original.
  await produce(again, 5);
  assert.is(again.head.height, at.height + 1);
  await again.close();
});

test('a corrupted or truncated backup is refused and leaves no database behind', async () => {
  const chain = await open(join(tmp(), 'db'));
  for (let i = 0; i < 5; i++) await produce(chain, 10);
  const file = join(tmp(), 'chain.mcb');
  await backupTo(chain, file);
  await chain.close();
  const bytes = await readFile(file);
  const flipped = Buffer.from(bytes);
  const mid = Math.floor(bytes.length / 2);
  flipped[mid] = (flipped[mid] as number) ^ 0x01;
  const bad = join(tmp(), 'bad.mcb');
  await writeFile(bad, flipped);
  const cut = join(tmp(), 'cut.mcb');
  await writeFile(cut, bytes.subarray(0, bytes.length - 100));
  for (const [f, code] of [
    [bad, RestoreErrorCode.DIGEST_MISMATCH],
    [cut, RestoreErrorCode.BAD_FILE],
  ] as const) {
    const home = tmp();
    try {
      await restoreBackup(f, home);
      assert.unreachable('restored a damaged backup');
    } catch (err) {
      // A flipped byte in a length field shows as bad framing rather than a digest mismatch.
      assert.ok(isCoded(err) && (err.code === code || err.code === RestoreErrorCode.BAD_FILE), String(err));
    }
    assert.not.ok(existsSync(join(home, 'db')), 'no db');
    assert.not.ok(existsSync(join(home, 'db.restoring')), 'no partial db');
  }
  await verifyBackupFile(file);
});

test('restore refuses to overwrite an existing database unless forced', async () => {
  const chain = await open(join(tmp(), 'db'));
  await produce(chain, 1);
  const file = join(tmp(), 'chain.mcb');
  await backupTo(chain, file);
  await chain.close();
  const home = tmp();
  await restoreBackup(file, home);
  try {
    await restoreBackup(file, home);
    assert.unreachable('overwrote a database');
  } catch (err) {
    assert.ok(isCoded(err) && err.code === RestoreErrorCode.DB_EXISTS);
  }
  const m = await restoreBackup(file, home, { force: true });
  assert.is(m.height, 1);
});

test.run();
