import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsensusErrorCode } from '../../consensus/engine/errors.js';
import { decodeSignState, encodeSignState, SignGuard } from '../../consensus/engine/sign-guard.js';
import { SignStep } from '../../consensus/engine/types.js';
import { decodeWalEntry, encodeWalEntry, signStateOf, type WalEntry } from '../../consensus/engine/wal-entries.js';
import { FileStore } from '../../consensus/wal/file-wal.js';
import { MemoryStore } from '../../consensus/wal/store.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { utf8 } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import { block, hashOf, precommit, prevote, proposal, randomHash, throwsCode } from './helpers.js';

const A = randomHash('a');
const B = randomHash('b');

test('sign guard: refuses a different hash at the same height/round/step (SIGN_CONFLICT)', () => {
  const g = new SignGuard();
  assert.is(g.advance(5, 1, SignStep.PREVOTE, A), 'new');
  throwsCode(() => g.check(5, 1, SignStep.PREVOTE, B), ConsensusErrorCode.SIGN_CONFLICT);
  throwsCode(() => g.check(5, 1, SignStep.PREVOTE, null), ConsensusErrorCode.SIGN_CONFLICT);
  assert.is(g.check(5, 1, SignStep.PREVOTE, A), 'same', 're-sending the identical vote is allowed');
});

test('sign guard: refuses anything lower (SIGN_REGRESSION) and allows anything later', () => {
  const g = new SignGuard({ height: 5, round: 2, step: SignStep.PREVOTE, blockHash: null });
  throwsCode(() => g.check(5, 2, SignStep.PROPOSE, A), ConsensusErrorCode.SIGN_REGRESSION);
  throwsCode(() => g.check(5, 1, SignStep.PRECOMMIT, A), ConsensusErrorCode.SIGN_REGRESSION);
  throwsCode(() => g.check(4, 9, SignStep.PRECOMMIT, A), ConsensusErrorCode.SIGN_REGRESSION);
  assert.is(g.check(5, 2, SignStep.PRECOMMIT, A), 'new');
  assert.is(g.check(5, 3, SignStep.PROPOSE, A), 'new');
  assert.is(g.check(6, 0, SignStep.PROPOSE, A), 'new');
});

test('sign guard: its state survives encoding and a restart refuses the conflict', () => {
  const g = new SignGuard();
  g.advance(7, 0, SignStep.PRECOMMIT, A);
  const state = g.state;
  assert.ok(state);
  const restarted = new SignGuard(decodeSignState(encodeSignState(state)));
  throwsCode(() => restarted.check(7, 0, SignStep.PRECOMMIT, B), ConsensusErrorCode.SIGN_CONFLICT);
  throwsCode(() => restarted.check(7, 0, SignStep.PREVOTE, A), ConsensusErrorCode.SIGN_REGRESSION);
});

test('WAL entries round-trip and name the point they sign', () => {
  const entries: WalEntry[] = [
    { kind: 'vote', own: false, vote: prevote(1, 3, 0, A) },
    { kind: 'vote', own: true, vote: precommit(0, 3, 1, B), lock: { lockedRound: 1, lockedHash: B } },
    {
      kind: 'proposal',
      own: true,
      proposal: proposal(0, 3, 1, block('x'), 0),
      lock: { lockedRound: -1, lockedHash: null },
    },
  ];
  for (const e of entries) assert.equal(decodeWalEntry(encodeWalEntry(e), 1 << 16), e);
  assert.equal(signStateOf(entries[1] as WalEntry), { height: 3, round: 1, step: SignStep.PRECOMMIT, blockHash: B });
  assert.equal(signStateOf(entries[2] as WalEntry).blockHash, hashOf(block('x')));
});

test('WAL: a crash keeps synced records and loses the unsynced tail; new height keeps the last own record', async () => {
  const store = new MemoryStore();
  const wal = new ConsensusWal(store, 1 << 16);
  await wal.append({ kind: 'vote', own: false, vote: prevote(1, 3, 0, A) }, false);
  await wal.append(
    { kind: 'vote', own: true, vote: prevote(0, 3, 0, A), lock: { lockedRound: -1, lockedHash: null } },
    true,
  );
  await wal.append({ kind: 'vote', own: false, vote: prevote(2, 3, 0, A) }, false);
  store.crash();
  const back = await new ConsensusWal(store, 1 << 16).load();
  assert.equal(back.length, 2, 'the record before the synced one is durable too');
  assert.ok(back[1]?.own);
  await wal.newHeight();
  const kept = await new ConsensusWal(store, 1 << 16).load();
  assert.equal(kept.length, 1);
  assert.ok(kept[0]?.own);
});

test('WAL: an undecodable record is WAL_CORRUPT', async () => {
  const store = new MemoryStore();
  await store.append(utf8('not cbor at all'), true);
  try {
    await new ConsensusWal(store, 1024).load();
    assert.unreachable('should throw');
  } catch (err) {
    assert.ok(isCoded(err, ConsensusErrorCode.WAL_CORRUPT));
  }
});

test('file store: appends survive reopening, a torn tail is dropped, truncate replaces atomically', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-wal-'));
  try {
    const s = new FileStore(dir);
    await s.append(utf8('one'), false);
    await s.append(utf8('two'), true);
    await s.close();
    // A crash mid-write leaves half a frame behind.
    await appendFile(join(dir, 'consensus.wal'), new Uint8Array([0, 0, 0, 9, 1, 2]));
    const s2 = new FileStore(dir);
    assert.equal(
      (await s2.readAll()).map((r) => new TextDecoder().decode(r)),
      ['one', 'two'],
    );
    await s2.append(utf8('three'), true);
    assert.equal((await s2.readAll()).length, 3, 'appends continue after the dropped tail');
    await s2.truncate([utf8('kept')]);
    await s2.append(utf8('after'), true);
    await s2.close();
    const s3 = new FileStore(dir);
    assert.equal(
      (await s3.readAll()).map((r) => new TextDecoder().decode(r)),
      ['kept', 'after'],
    );
    await s3.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('file store: a record with a bad checksum ends the log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-wal-'));
  try {
    // len=3, crc=0 (wrong), "abc"
    await writeFile(join(dir, 'consensus.wal'), new Uint8Array([0, 0, 0, 3, 0, 0, 0, 0, 97, 98, 99]));
    const s = new FileStore(dir);
    assert.equal((await s.readAll()).length, 0);
    await s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
