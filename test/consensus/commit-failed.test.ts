import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsensusDriver, type Executor } from '../../consensus/engine/driver.js';
import { ConsensusErrorCode } from '../../consensus/engine/errors.js';
import type { CommitCertificate } from '../../consensus/engine/types.js';
import { MemoryStore } from '../../consensus/wal/store.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { isCoded } from '../../src/errors.js';
import { block, engine, feed, hashOf, only, precommit, prevote, proposal, set } from './helpers.js';

const X = block('x');
const hX = hashOf(X);
const certX: CommitCertificate = {
  height: 1,
  round: 0,
  blockHash: hX,
  signatures: [1, 2, 3].map((i) => ({ validatorIndex: i, signature: precommit(i, 1, 0, hX).signature })),
};

test('engine: a failed commit leaves "decided", drops the body and asks for the block again', () => {
  const e = engine(0);
  e.start(1, set);
  const acts = feed(
    e,
    () => e.proposal(proposal(1, 1, 0, X)),
    ...[1, 2, 3].map((i) => () => e.vote(prevote(i, 1, 0, hX))),
    ...[1, 2, 3].map((i) => () => e.vote(precommit(i, 1, 0, hX))),
  );
  assert.equal(only(acts, 'commit').length, 1);
  assert.is(e.step, 'decided');
  const after = e.commitFailed(1, hX);
  assert.is.not(e.step, 'decided');
  const rs = only(after, 'requestSync');
  assert.equal(rs.length, 1);
  assert.ok(rs[0]?.hint.blockHash !== undefined);
  // The block comes back (sync, with its certificate): decided again, committed again.
  assert.equal(only(e.synced(1, X, certX), 'commit').length, 1);
});

test('engine: a failed commit of a synced block: the next synced copy is decided again', () => {
  const e = engine(0);
  e.start(1, set);
  assert.equal(only(e.synced(1, X, certX), 'commit').length, 1);
  assert.equal(only(e.commitFailed(1, hX), 'requestSync').length, 1);
  assert.equal(only(e.synced(1, X, certX), 'commit').length, 1);
});

test('engine: the rebroadcast tick survives "decided", so a failed commit is retried by sync later', () => {
  const e = engine(0);
  e.start(1, set);
  e.synced(1, X, certX);
  const tick = e.timeout('rebroadcast', 1, 0);
  assert.equal(only(tick, 'scheduleTimeout').length, 1);
  e.commitFailed(1, hX);
  // The first ask is spent; the next tick asks again.
  assert.equal(only(e.timeout('rebroadcast', 1, 0), 'requestSync').length, 1);
});

test('engine: commitFailed for another height or hash changes nothing', () => {
  const e = engine(0);
  e.start(1, set);
  e.synced(1, X, certX);
  assert.equal(e.commitFailed(2, hX), []);
  assert.equal(e.commitFailed(1, hashOf(block('y'))), []);
  assert.is(e.step, 'decided');
});

function driverWith(commit: Executor['commit']) {
  const executor: Executor = {
    buildBlock: async () => ({ block: X, hash: hX }),
    validateBlock: async (_h, b) => ({ valid: true, hash: hashOf(b) }),
    commit,
    hashBlock: hashOf,
  };
  return new ConsensusDriver({
    engine: engine(0),
    transport: { broadcastProposal: () => {}, broadcastVote: () => {}, requestSync: () => {} },
    executor,
    clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined },
    wal: new ConsensusWal(new MemoryStore(), 1 << 20),
  });
}

test('driver: synced() rejects with CONSENSUS_COMMIT_FAILED when the commit fails, then commits a retry', async () => {
  let fail = true;
  const d = driverWith(async () => {
    if (fail) throw new Error('disk');
    return { nextValidatorSet: set };
  });
  await d.start(1, set);
  const err = await d.synced(1, X, certX).catch((e: unknown) => e);
  assert.ok(isCoded(err, ConsensusErrorCode.COMMIT_FAILED), String(err));
  fail = false;
  await d.synced(1, X, certX);
  await d.close();
});

test('driver: synced() refuses a body that does not hash to the certificate, and a certificate that does not hold', async () => {
  const d = driverWith(async () => ({ nextValidatorSet: set }));
  await d.start(1, set);
  const mismatch = await d.synced(1, block('not-x'), certX).catch((e: unknown) => e);
  assert.ok(isCoded(mismatch, ConsensusErrorCode.SYNCED_BLOCK_MISMATCH), String(mismatch));
  const weak = { ...certX, signatures: certX.signatures.slice(0, 2) };
  const refused = await d.synced(1, X, weak).catch((e: unknown) => e);
  assert.ok(isCoded(refused, ConsensusErrorCode.SYNCED_BLOCK_REFUSED), String(refused));
  await d.synced(1, X, certX);
  await d.close();
});

test.run();
