import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Clock, ConsensusDriver, type Executor, type Transport } from '../../consensus/engine/driver.js';
import type { CommitCertificate } from '../../consensus/engine/types.js';
import { MemoryStore } from '../../consensus/wal/store.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { block, engine, hashOf, precommit, prevote, proposal, set } from './helpers.js';

/** A store whose fsync completes only when the test says so. */
class SlowStore extends MemoryStore {
  readonly pending: (() => void)[] = [];
  failSync = false;
  constructor(private readonly log: string[]) {
    super();
  }
  override async append(record: Uint8Array, sync: boolean): Promise<void> {
    this.appendNow(record, sync);
    if (!sync) return;
    if (this.failSync) throw new Error('disk full');
    this.log.push('fsync-start');
    await new Promise<void>((resolve) => this.pending.push(resolve));
    this.log.push('fsync-done');
  }
  release(): void {
    for (const r of this.pending.splice(0)) r();
  }
}

function world(onPhase?: (phase: string, ms: number) => void) {
  const log: string[] = [];
  const time = { now: 1_000 };
  const store = new SlowStore(log);
  const commits: number[] = [];
  const transport: Transport = {
    broadcastProposal: (p) => log.push(`proposal ${p.round}`),
    broadcastVote: (v) => log.push(`vote ${v.validatorIndex} ${v.type} ${v.round}`),
    requestSync: (h) => log.push(`sync ${h}`),
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
  const timers: { fn: () => void; ms: number }[] = [];
  const clock: Clock = {
    now: () => time.now,
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    clearTimeout: () => undefined,
  };
  const e = engine(0);
  const driver = new ConsensusDriver({
    engine: e,
    transport,
    executor,
    clock,
    wal: new ConsensusWal(store, 1 << 20),
    ...(onPhase ? { onPhase } : {}),
  });
  return { log, store, commits, driver, e, time };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('driver: a signature leaves only after its sign state is durable', async () => {
  const w = world();
  await w.driver.start(1, set);
  const X = block('x');
  w.driver.proposal(proposal(1, 1, 0, X));
  for (let i = 0; i < 5; i++) await tick(); // validation comes back; the engine prevotes
  assert.ok(w.log.includes('fsync-start'), 'the prevote is being persisted');
  assert.not.ok(
    w.log.some((l) => l.startsWith('vote 0')),
    'and not sent while fsync is pending',
  );
  w.store.release();
  await w.driver.idle();
  const synced = w.log.indexOf('fsync-done');
  const sent = w.log.findIndex((l) => l.startsWith('vote 0'));
  assert.ok(synced >= 0 && sent > synced, w.log.join(' | '));
  await w.driver.close();
});

test('driver: runs a height to commit and starts the next', async () => {
  const w = world();
  await w.driver.start(1, set);
  const X = block('x');
  const hX = hashOf(X);
  w.driver.proposal(proposal(1, 1, 0, X));
  for (const v of [1, 2]) w.driver.vote(prevote(v, 1, 0, hX));
  for (const v of [1, 2]) w.driver.vote(precommit(v, 1, 0, hX));
  for (let i = 0; i < 20; i++) {
    w.store.release();
    await tick();
  }
  await w.driver.idle();
  assert.equal(w.commits, [1]);
  assert.equal(w.e.height, 2);
  await w.driver.close();
});

test('driver: reports each phase of a height once, timed from the previous commit', async () => {
  const phases: string[] = [];
  const w = world((phase, ms) => phases.push(`${phase} ${ms}`));
  await w.driver.start(1, set);
  const X = block('x');
  const hX = hashOf(X);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) {
      w.store.release();
      await tick();
    }
  };
  w.time.now = 1_100;
  w.driver.proposal(proposal(1, 1, 0, X));
  await settle(); // validated: this node prevotes at once
  w.time.now = 1_300;
  for (const v of [1, 2]) w.driver.vote(prevote(v, 1, 0, hX));
  await settle(); // a prevote quorum: it precommits
  w.time.now = 1_600;
  w.driver.vote(precommit(1, 1, 0, hX));
  w.driver.vote(precommit(1, 1, 0, hX)); // a duplicate changes nothing
  w.driver.vote(precommit(2, 1, 0, hX));
  await settle();
  await w.driver.idle();
  assert.equal(w.commits, [1]);
  assert.equal(phases, ['proposal 100', 'prevote 100', 'precommit 300', 'decided 600', 'committed 600']);
  w.time.now = 1_650; // the next height is timed from that commit
  w.driver.proposal(proposal(2, 2, 0, block('y')));
  await settle();
  assert.equal(phases.slice(5, 7), ['proposal 50', 'prevote 50']);
  await w.driver.close();
});

test('driver: drops a synced block whose hash is not the certificate hash', async () => {
  const w = world();
  await w.driver.start(1, set);
  const X = block('x');
  const hX = hashOf(X);
  const cert: CommitCertificate = {
    height: 1,
    round: 0,
    blockHash: hX,
    signatures: [1, 2, 3].map((i) => ({ validatorIndex: i, signature: precommit(i, 1, 0, hX).signature })),
  };
  const refused = await w.driver.synced(1, block('not-x'), cert).then(
    () => false,
    () => true,
  );
  assert.ok(refused);
  assert.equal(w.commits, []);
  await w.driver.synced(1, X, cert);
  assert.equal(w.commits, [1]);
  await w.driver.close();
});

test('driver: a failed persist stops the driver and releases nothing', async () => {
  const w = world();
  const errors: unknown[] = [];
  const d = new ConsensusDriver({
    engine: w.e,
    transport: { broadcastProposal: () => w.log.push('p'), broadcastVote: () => w.log.push('v'), requestSync: () => 0 },
    executor: {
      buildBlock: async () => ({ block: block('b'), hash: hashOf(block('b')) }),
      validateBlock: async (_h, b) => ({ valid: true, hash: hashOf(b) }),
      commit: async () => ({ nextValidatorSet: set }),
      hashBlock: hashOf,
    },
    clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined },
    wal: new ConsensusWal(w.store, 1 << 20),
    onError: (e) => errors.push(e),
  });
  w.store.failSync = true;
  await d.start(1, set);
  d.proposal(proposal(1, 1, 0, block('x')));
  for (let i = 0; i < 5; i++) await tick();
  await d.idle();
  assert.equal(errors.length, 1);
  assert.not.ok(w.log.includes('v'));
  d.vote(prevote(1, 1, 0, null)); // ignored once stopped
  await d.idle();
  assert.not.ok(w.log.includes('v'));
});

test.run();
