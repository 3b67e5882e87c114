/**
 * A validator restarted over a damaged WAL tail (torn by a crash or corrupted on disk) must
 * start, follow the chain, and never sign twice: the lost tail may have held a vote it sent.
 */
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Clock, ConsensusDriver, type Executor, type Transport } from '../../consensus/engine/driver.js';
import { type Vote, VoteType } from '../../consensus/engine/types.js';
import { FileStore } from '../../consensus/wal/file-wal.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { toHex } from '../../src/codec/bytes.js';
import { block, engine, hashOf, precommit, proposal, set } from './helpers.js';

const X = block('x');
const Y = block('y'); // a second proposal for the same round: an equivocating proposer

function validator(dir: string) {
  const sent: Vote[] = [];
  const commits: number[] = [];
  const transport: Transport = {
    broadcastProposal: () => undefined,
    broadcastVote: (v) => {
      if (v.validatorIndex === 0) sent.push(v);
    },
    requestSync: () => undefined,
  };
  const executor: Executor = {
    buildBlock: async (h, r) => ({ block: block(`b${h}.${r}`), hash: hashOf(block(`b${h}.${r}`)) }),
    validateBlock: async (_h, b) => ({ valid: true, hash: hashOf(b) }),
    commit: async (h) => {
      commits.push(h);
      return { nextValidatorSet: set };
    },
    hashBlock: hashOf,
  };
  const clock: Clock = { now: () => 1_000, setTimeout: () => 0, clearTimeout: () => undefined };
  const store = new FileStore(dir);
  const driver = new ConsensusDriver({
    engine: engine(0),
    transport,
    executor,
    clock,
    wal: new ConsensusWal(store, 1 << 20),
  });
  return { driver, store, sent, commits };
}

/** Our prevotes at (h, r), as hex block hashes. */
const prevotes = (vs: Vote[], h: number, r: number): string[] =>
  vs
    .filter((v) => v.type === VoteType.PREVOTE && v.height === h && v.round === r)
    .map((v) => (v.blockHash === null ? 'nil' : toHex(v.blockHash)));

/** Lets validation results and fsyncs come back and their actions run (bounded). */
async function settle(d: ConsensusDriver): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await d.idle();
    await new Promise((r) => setImmediate(r));
  }
}

async function damagedRestart(damage: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-wal-damage-'));
  try {
    const a = validator(dir);
    await a.driver.start(1, set);
    a.driver.proposal(proposal(1, 1, 0, X));
    await settle(a.driver);
    assert.equal(prevotes(a.sent, 1, 0), [toHex(hashOf(X))], 'prevoted X before the crash');
    await a.driver.close();
    await a.store.close();
    await damage(join(dir, 'consensus.wal'));

    const b = validator(dir);
    await b.driver.start(1, set);
    b.driver.proposal(proposal(1, 1, 0, Y));
    await settle(b.driver);
    assert.equal(prevotes(b.sent, 1, 0), [], 'no second prevote at (1, 0): it could conflict with the lost one');
    // It still follows the height: others' certificate commits X, and it signs again at height 2.
    for (const i of [1, 2, 3]) b.driver.vote(precommit(i, 1, 0, hashOf(X)));
    await settle(b.driver);
    assert.equal(b.commits, [1]);
    b.driver.proposal(proposal(2, 2, 0, block('h2')));
    await settle(b.driver);
    assert.equal(prevotes(b.sent, 2, 0), [toHex(hashOf(block('h2')))]);
    await b.driver.close();
    await b.store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('WAL: a corrupted last record (bad checksum) does not let a restart sign a conflicting prevote', async () => {
  await damagedRestart(async (file) => {
    const bytes = await readFile(file);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    await writeFile(file, bytes);
  });
});

test('WAL: a truncated last record does not let a restart sign a conflicting prevote', async () => {
  await damagedRestart(async (file) => {
    const bytes = await readFile(file);
    await truncate(file, bytes.length - 5);
  });
});

test('WAL: a whole log signs nothing more cautiously than before (no floor)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-wal-damage-'));
  try {
    const store = new FileStore(dir);
    const wal = new ConsensusWal(store, 1 << 20);
    await wal.load();
    assert.is(wal.signFloor(1), undefined);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
