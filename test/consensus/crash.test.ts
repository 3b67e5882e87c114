import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Action } from '../../consensus/engine/actions.js';
import type { ConsensusEngine } from '../../consensus/engine/engine.js';
import { SignStep, signStepOf } from '../../consensus/engine/types.js';
import { hashKey } from '../../consensus/engine/vote-set.js';
import { decodeWalEntry, encodeWalEntry } from '../../consensus/engine/wal-entries.js';
import { MemoryStore } from '../../consensus/wal/store.js';
import { block, engine, hashOf, precommit, prevote, proposal, set } from './helpers.js';

const ME = 0;
type Step = (e: ConsensusEngine) => Action[];

/** The validator under test works through height 1 (locks, round changes, re-proposes) into height 2. */
function script(): Step[] {
  const X = block('x');
  const hX = hashOf(X);
  const s: Step[] = [
    (e) => e.proposal(proposal(1, 1, 0, X)),
    (e) => e.vote(prevote(1, 1, 0, hX)),
    (e) => e.vote(prevote(2, 1, 0, hX)),
  ];
  for (const v of [1, 2, 3]) s.push((e) => e.vote(precommit(v, 1, 0, null)));
  s.push((e) => e.timeout('precommit', 1, 0));
  s.push((e) => e.proposal(proposal(2, 1, 1, block('y'))));
  for (const v of [1, 2, 3]) s.push((e) => e.vote(prevote(v, 1, 1, null)));
  for (const v of [1, 2, 3]) s.push((e) => e.vote(precommit(v, 1, 1, null)));
  s.push((e) => e.timeout('precommit', 1, 1));
  s.push((e) => e.timeout('propose', 1, 2));
  for (const v of [1, 2, 3]) s.push((e) => e.vote(prevote(v, 1, 2, null)));
  for (const v of [1, 2, 3]) s.push((e) => e.vote(precommit(v, 1, 2, null)));
  s.push((e) => e.timeout('precommit', 1, 2)); // round 3 is ours: re-propose X
  for (const v of [1, 2]) s.push((e) => e.vote(prevote(v, 1, 3, hX)));
  for (const v of [1, 2]) s.push((e) => e.vote(precommit(v, 1, 3, hX)));
  const Z = block('z');
  s.push((e) => e.proposal(proposal(2, 2, 0, Z)));
  for (const v of [1, 2]) s.push((e) => e.vote(prevote(v, 2, 0, hashOf(Z))));
  return s;
}

/** What a restarted node might face: other proposals, every timeout, nil votes, in every round. */
function adversary(height: number): Step[] {
  const s: Step[] = [];
  for (let r = 0; r < 5; r++) {
    const proposer = set.proposer(height, r);
    if (proposer !== ME) s.push((e) => e.proposal(proposal(proposer, height, r, block(`alt-${height}-${r}`))));
    s.push((e) => e.timeout('propose', height, r));
    for (const v of [1, 2, 3]) s.push((e) => e.vote(prevote(v, height, r, null)));
    s.push((e) => e.timeout('prevote', height, r));
    for (const v of [1, 2, 3]) s.push((e) => e.vote(precommit(v, height, r, null)));
    s.push((e) => e.timeout('precommit', height, r));
  }
  return s;
}

/** One validator with a durable WAL and block height; crashes after `crashAfter` actions. */
class Node {
  readonly store = new MemoryStore();
  committedHeight = 0;
  incarnation = 0;
  /** Everything we ever signed, persisted or sent: point -> hash. */
  readonly signed = new Map<string, string>();
  readonly conflicts: string[] = [];
  private budget = Number.POSITIVE_INFINITY;
  e: ConsensusEngine | undefined;

  boot(withWal = true): void {
    this.e = engine(ME);
    this.incarnation++;
    const wal = withWal ? this.store.readAllNow().map((r) => decodeWalEntry(r, 1 << 16)) : [];
    this.run(this.e.start(this.committedHeight + 1, set, undefined, { wal }));
  }

  crashAfter(n: number): void {
    this.budget = n;
  }

  step(s: Step): void {
    if (this.e) this.run(s(this.e));
  }

  private note(key: string, hash: Uint8Array | null): void {
    const h = hashKey(hash);
    const prior = this.signed.get(key);
    if (prior === undefined) this.signed.set(key, h);
    else if (prior !== h) this.conflicts.push(key);
  }

  private run(first: Action[]): void {
    const queue = [first];
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      for (const a of batch) {
        const e = this.e;
        if (!e) return;
        if (this.budget-- <= 0) {
          this.e = undefined; // power loss: the rest of the batch never happens
          this.store.crash();
          this.budget = Number.POSITIVE_INFINITY;
          return;
        }
        switch (a.type) {
          case 'persistSignState':
            this.note(`${a.height}/${a.round}/${a.step}`, a.hash);
            this.store.appendNow(encodeWalEntry(a.entry), true);
            break;
          case 'walAppend':
            this.store.appendNow(encodeWalEntry(a.entry), false);
            break;
          case 'walNewHeight': {
            const own = this.store
              .readAllNow()
              .filter((r) => decodeWalEntry(r, 1 << 16).own)
              .slice(-1);
            this.store.truncateNow(own);
            break;
          }
          case 'broadcastVote':
            if (a.vote.validatorIndex === ME)
              this.note(`${a.vote.height}/${a.vote.round}/${signStepOf(a.vote.type)}`, a.vote.blockHash);
            break;
          case 'broadcastProposal':
            this.note(`${a.proposal.height}/${a.proposal.round}/${SignStep.PROPOSE}`, a.proposal.blockHash);
            break;
          case 'validateProposal':
            queue.push(e.proposalValidated(a.height, a.round, a.blockHash, true));
            break;
          case 'buildBlock': {
            // Each incarnation builds a different block: a forgetful restart would sign a second proposal.
            const b = block(`built-${a.height}-${a.round}-${this.incarnation}`);
            queue.push(e.blockBuilt(a.height, a.round, b, hashOf(b)));
            break;
          }
          case 'commit':
            this.committedHeight = a.height;
            queue.push(e.committed(a.height, set));
            break;
          default:
            break;
        }
      }
    }
  }
}

function crashRun(k: number, restartWithWal: boolean): Node {
  const n = new Node();
  n.boot();
  n.crashAfter(k);
  const s = script();
  let i = 0;
  for (; i < s.length && n.e; i++) n.step(s[i] as Step);
  if (!n.e) {
    n.boot(restartWithWal);
    const h = n.committedHeight + 1;
    for (const a of adversary(h)) n.step(a);
    for (; i < s.length; i++) n.step(s[i] as Step);
    for (const a of adversary(h + 1)) n.step(a);
  }
  return n;
}

/** Actions the script produces without a crash: the smallest budget that never runs out. */
function totalActions(): number {
  for (let count = 0; count < 1000; count++) {
    const r = new Node();
    r.boot();
    r.crashAfter(count);
    for (const st of script()) r.step(st);
    if (r.e) return count;
  }
  throw new Error('script too long');
}

test('crash/restart at every action never signs two different messages for one height/round/step', () => {
  const total = totalActions();
  assert.ok(total > 40, `the script exercises enough actions (${total})`);
  for (let k = 0; k <= total; k++) {
    const n = crashRun(k, true);
    assert.equal(n.conflicts, [], `crash after action ${k}`);
    assert.ok(n.signed.size > 0);
  }
});

test('the crash harness catches amnesia: restarting without the WAL equivocates somewhere', () => {
  const total = totalActions();
  let caught = 0;
  for (let k = 0; k <= total; k++) if (crashRun(k, false).conflicts.length > 0) caught++;
  assert.ok(caught > total / 4, `a node that forgets what it signed must be caught (${caught}/${total})`);
});

test('a restarted locked validator keeps its lock', () => {
  const n = new Node();
  n.boot();
  const s = script();
  for (let i = 0; i < 3; i++) n.step(s[i] as Step); // locked on X in round 0
  assert.equal(n.e?.lockedRound, 0);
  n.store.crash();
  n.boot(); // a new engine from the WAL alone
  const restarted = n.e as ConsensusEngine | undefined;
  assert.equal(restarted?.lockedRound, 0);
  assert.equal(restarted?.step, 'precommit');
});

test.run();
