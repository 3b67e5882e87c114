import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidCommit } from '../../consensus/engine/certificate.js';
import { defaultConsensusOptions, roundTimeout } from '../../consensus/engine/options.js';
import { VoteType } from '../../consensus/engine/types.js';
import { equal as same } from '../../src/codec/bytes.js';
import {
  block,
  engine,
  feed,
  hashOf,
  keyring,
  only,
  ownVotes,
  precommit,
  prevote,
  proposal,
  set,
  validateAll,
} from './helpers.js';

const X = block('x');
const Y = block('y');
const hX = hashOf(X);
const hY = hashOf(Y);

/** Validator 0 at height 1, locked on X in round 0 (proposer of (1,0) is validator 1). */
function lockedOnX() {
  const e = engine(0);
  e.start(1, set);
  const acts = feed(
    e,
    () => e.proposal(proposal(1, 1, 0, X)),
    () => e.vote(prevote(1, 1, 0, hX)),
    () => e.vote(prevote(2, 1, 0, hX)),
  );
  return { e, acts };
}

test('prevotes a valid proposal from the round proposer', () => {
  const e = engine(0);
  e.start(1, set);
  const first = e.proposal(proposal(1, 1, 0, X));
  assert.equal(only(first, 'validateProposal').length, 1, 'asks the executor first');
  assert.equal(ownVotes(first, 0).length, 0, 'no vote before validation');
  const votes = ownVotes(validateAll(e, first), 0);
  assert.equal(votes.length, 1);
  assert.equal(votes[0]?.type, VoteType.PREVOTE);
  assert.ok(votes[0]?.blockHash && same(votes[0].blockHash, hX));
});

test('wrong roots: prevotes nil on a proposal the executor rejects', () => {
  const e = engine(0);
  e.start(1, set);
  const acts = validateAll(e, e.proposal(proposal(1, 1, 0, X)), false);
  const votes = ownVotes(acts, 0);
  assert.equal(votes.length, 1);
  assert.is(votes[0]?.blockHash, null);
});

test('wrong proposer: ignores the proposal, then prevotes nil on timeout', () => {
  const e = engine(0);
  e.start(1, set);
  const acts = e.proposal(proposal(2, 1, 0, X)); // validator 1 proposes (1,0), not 2
  assert.equal(acts.length, 0);
  const votes = ownVotes(e.timeout('propose', 1, 0), 0);
  assert.equal(votes.length, 1);
  assert.is(votes[0]?.blockHash, null);
});

test('late proposal: after the propose timeout the proposal gets no prevote', () => {
  const e = engine(0);
  e.start(1, set);
  const nil = ownVotes(e.timeout('propose', 1, 0), 0);
  assert.is(nil[0]?.blockHash, null);
  const late = feed(e, () => e.proposal(proposal(1, 1, 0, X)));
  assert.equal(ownVotes(late, 0).length, 0);
});

test('locking: precommits and locks on a polka for a valid block', () => {
  const { e, acts } = lockedOnX();
  const pcs = ownVotes(acts, 0).filter((v) => v.type === VoteType.PRECOMMIT);
  assert.equal(pcs.length, 1);
  assert.ok(pcs[0]?.blockHash && same(pcs[0].blockHash, hX));
  assert.equal(e.lockedRound, 0);
  assert.equal(e.validRound, 0);
});

test('locking: a locked validator prevotes nil for another block without a later polka', () => {
  const { e } = lockedOnX();
  feed(
    e,
    () => e.vote(precommit(1, 1, 0, null)),
    () => e.vote(precommit(2, 1, 0, null)),
  );
  e.timeout('precommit', 1, 0);
  assert.equal(e.round, 1);
  const acts = feed(e, () => e.proposal(proposal(2, 1, 1, Y)));
  const pv = ownVotes(acts, 0);
  assert.equal(pv.length, 1);
  assert.is(pv[0]?.blockHash, null);
});

test('unlocking on polka: a proposal with a POL round at or after the lock gets our prevote', () => {
  const { e } = lockedOnX();
  // Round 1 saw a polka for Y (we were not there); f+1 of round-1 messages pull us in.
  feed(
    e,
    () => e.vote(prevote(1, 1, 1, hY)),
    () => e.vote(prevote(2, 1, 1, hY)),
    () => e.vote(prevote(3, 1, 1, hY)),
  );
  assert.equal(e.round, 1);
  // Round 2: validator 3 re-proposes Y justified by that polka.
  const acts = feed(
    e,
    () => e.proposal(proposal(3, 1, 2, Y, 1)),
    () => e.vote(prevote(1, 1, 2, null)),
  );
  assert.equal(e.round, 2);
  const pv = ownVotes(acts, 0).filter((v) => v.round === 2 && v.type === VoteType.PREVOTE);
  assert.equal(pv.length, 1);
  assert.ok(pv[0]?.blockHash && same(pv[0].blockHash, hY));
});

test('precommits nil on a nil polka', () => {
  const e = engine(0);
  e.start(1, set);
  e.timeout('propose', 1, 0);
  const acts = feed(
    e,
    () => e.vote(prevote(1, 1, 0, null)),
    () => e.vote(prevote(2, 1, 0, null)),
  );
  const pc = ownVotes(acts, 0).filter((v) => v.type === VoteType.PRECOMMIT);
  assert.equal(pc.length, 1);
  assert.is(pc[0]?.blockHash, null);
  assert.equal(e.lockedRound, -1);
});

test('round change: precommit timeout after +2/3 precommits starts the next round', () => {
  const e = engine(0);
  e.start(1, set);
  e.timeout('propose', 1, 0);
  const acts = feed(
    e,
    () => e.vote(precommit(1, 1, 0, null)),
    () => e.vote(precommit(2, 1, 0, null)),
    () => e.vote(precommit(3, 1, 0, null)),
  );
  const t = only(acts, 'scheduleTimeout').find((a) => a.kind === 'precommit');
  assert.ok(t, 'precommit timeout scheduled');
  e.timeout('precommit', 1, 0);
  assert.equal(e.round, 1);
  assert.equal(e.step, 'propose');
});

test('future-round messages: skips ahead on f+1, not on f', () => {
  const e = engine(0);
  e.start(1, set);
  e.vote(prevote(1, 1, 5, null));
  assert.equal(e.round, 0, 'one validator (f) is not enough');
  e.vote(precommit(2, 1, 5, null));
  assert.equal(e.round, 5, 'two of four (f+1) pull us to round 5');
});

test('commits on +2/3 precommits with a certificate verifyCommit accepts', () => {
  const { e } = lockedOnX();
  const acts = feed(
    e,
    () => e.vote(precommit(1, 1, 0, hX)),
    () => e.vote(precommit(3, 1, 0, hX)),
  );
  const c = only(acts, 'commit');
  assert.equal(c.length, 1);
  assert.ok(c[0] && same(c[0].block, X));
  assert.ok(c[0] && isValidCommit(c[0].cert, set, keyring.verify, 1));
  assert.equal(e.step, 'decided');
  const next = e.committed(1, set);
  assert.equal(e.height, 2);
  assert.equal(only(next, 'walNewHeight').length, 1);
});

test('proposer re-proposes its valid value with its POL round', () => {
  const { e } = lockedOnX();
  // Rounds 1 and 2 end in nil; round 3 is ours ((1 + 3) % 4 = 0).
  for (const r of [0, 1, 2]) {
    feed(
      e,
      () => e.vote(precommit(1, 1, r, null)),
      () => e.vote(precommit(2, 1, r, null)),
    );
    e.timeout('propose', 1, r);
    e.timeout('prevote', 1, r);
    if (r < 2) e.timeout('precommit', 1, r);
  }
  const acts = e.timeout('precommit', 1, 2);
  assert.equal(only(acts, 'buildBlock').length, 0, 'does not build a new block');
  const props = only(acts, 'broadcastProposal');
  assert.equal(props.length, 1);
  assert.equal(props[0]?.proposal.polRound, 0);
  assert.ok(props[0] && same(props[0].proposal.blockHash, hX));
  // The proof of lock travels with it.
  const pol = only(acts, 'broadcastVote').filter((a) => a.vote.round === 0 && a.vote.type === VoteType.PREVOTE);
  assert.ok(pol.length >= 3);
});

test('duplicate votes are ignored; non-validators and other heights are rejected', () => {
  const e = engine(0);
  e.start(1, set);
  assert.equal(only(e.vote(prevote(1, 1, 0, null)), 'walAppend').length, 1);
  assert.equal(e.vote(prevote(1, 1, 0, null)).length, 0, 'duplicate');
  const stranger = { ...prevote(1, 1, 0, null), validatorIndex: 9 };
  assert.equal(e.vote(stranger).length, 0, 'not a validator');
  assert.equal(e.vote(prevote(2, 0, 0, null)).length, 0, 'old height');
  // A duplicate cannot make a quorum: 0 (timeout), 1, 1 again is not 2f+1.
  e.timeout('propose', 1, 0);
  e.vote(prevote(1, 1, 0, null));
  assert.equal(e.step, 'prevote');
});

test('next-height votes are buffered and replayed at that height', () => {
  const { e } = lockedOnX();
  e.vote(prevote(1, 2, 0, null));
  e.vote(prevote(2, 2, 0, null));
  feed(
    e,
    () => e.vote(precommit(1, 1, 0, hX)),
    () => e.vote(precommit(2, 1, 0, hX)),
  );
  e.committed(1, set);
  e.timeout('propose', 2, 0);
  assert.equal(e.step, 'precommit', 'buffered nil prevotes plus ours make a nil polka');
});

test('requests sync when f+1 validators are two heights ahead', () => {
  const e = engine(0);
  e.start(1, set);
  assert.equal(only(e.vote(prevote(1, 3, 0, null)), 'requestSync').length, 0);
  const acts = e.vote(prevote(2, 3, 0, null));
  const rs = only(acts, 'requestSync');
  assert.equal(rs.length, 1);
  assert.equal(rs[0]?.fromHeight, 1);
});

test('requests sync for a committed block it never received, then commits it when synced', () => {
  const e = engine(0);
  e.start(1, set);
  const acts = feed(
    e,
    () => e.vote(precommit(1, 1, 0, hX)),
    () => e.vote(precommit(2, 1, 0, hX)),
    () => e.vote(precommit(3, 1, 0, hX)),
  );
  const rs = only(acts, 'requestSync');
  assert.equal(rs.length, 1);
  assert.ok(rs[0]?.hint.blockHash && same(rs[0].hint.blockHash, hX));
  // Sync brings the block with a certificate (from any peer that committed it).
  const cert = {
    height: 1,
    round: 0,
    blockHash: hX,
    signatures: [1, 2, 3].map((i) => ({ validatorIndex: i, signature: precommit(i, 1, 0, hX).signature })),
  };
  assert.equal(only(e.synced(1, X, { ...cert, signatures: cert.signatures.slice(0, 2) }), 'commit').length, 0);
  assert.equal(only(e.synced(1, X, cert), 'commit').length, 1);
});

test('equivocation evidence: emitted once per offence, with both votes', () => {
  const e = engine(0);
  e.start(1, set);
  e.vote(prevote(3, 1, 0, null));
  const ev = only(e.vote(prevote(3, 1, 0, hX)), 'evidence');
  assert.equal(ev.length, 1);
  assert.is(ev[0]?.voteA.blockHash, null);
  assert.ok(ev[0]?.voteB.blockHash);
  assert.equal(only(e.vote(prevote(3, 1, 0, hY)), 'evidence').length, 0, 'same offence, no second report');
  assert.equal(only(e.vote(precommit(3, 1, 0, hY)), 'evidence').length, 0, 'a precommit is another step');
  assert.equal(e.evidence().length, 1);
});

test('bounded timeouts: grow per round and stop at the maximum', () => {
  const o = defaultConsensusOptions;
  assert.ok(roundTimeout(o, 'propose', 1) > roundTimeout(o, 'propose', 0));
  assert.equal(roundTimeout(o, 'propose', 1_000_000), o.timeoutMaxMs);
  assert.equal(roundTimeout(o, 'precommit', 2 ** 31), o.timeoutMaxMs);
  const e = engine(0, { timeoutProposeMs: 3000, timeoutProposeDeltaMs: 500 });
  e.start(1, set);
  e.vote(prevote(1, 1, 5000, null));
  const acts = e.vote(prevote(2, 1, 5000, null));
  const t = only(acts, 'scheduleTimeout').find((a) => a.kind === 'propose');
  assert.equal(t?.round, 5000);
  assert.equal(t?.ms, o.timeoutMaxMs);
});

test('no empty-block spinning: round 0 waits for transactions or the heartbeat', () => {
  const e = engine(1, { emptyBlockIntervalMs: 5000 }); // proposer of (1, 0)
  const acts = e.start(1, set);
  assert.equal(only(acts, 'buildBlock').length, 0);
  const hb = only(acts, 'scheduleTimeout').find((a) => a.kind === 'heartbeat');
  assert.equal(hb?.ms, 5000);
  assert.equal(only(e.timeout('rebroadcast', 1, 0), 'buildBlock').length, 0, 'other timers do not build');
  assert.equal(only(e.timeout('heartbeat', 1, 0), 'buildBlock').length, 1, 'heartbeat builds an empty block');
});

test('no empty-block spinning: proposes promptly when transactions arrive', () => {
  const e = engine(1, { emptyBlockIntervalMs: 5000 });
  e.start(1, set);
  const acts = e.txsAvailable();
  assert.equal(only(acts, 'buildBlock').length, 1);
  const built = e.blockBuilt(1, 0, X, hX);
  assert.equal(only(built, 'broadcastProposal').length, 1);
});

test('persistSignState precedes every broadcast of our own signatures', () => {
  const e = engine(1);
  const acts = [...e.start(1, set)];
  acts.push(...e.blockBuilt(1, 0, X, hX));
  acts.push(
    ...feed(
      e,
      () => e.vote(prevote(0, 1, 0, hX)),
      () => e.vote(prevote(2, 1, 0, hX)),
    ),
  );
  let persisted = 0;
  let signed = 0;
  for (const a of acts) {
    if (a.type === 'persistSignState') persisted++;
    const own =
      (a.type === 'broadcastVote' && a.vote.validatorIndex === 1) ||
      (a.type === 'broadcastProposal' && a.proposal.proposerIndex === 1);
    if (own) {
      signed++;
      assert.ok(persisted >= signed, 'a signature left before its sign state was persisted');
    }
  }
  assert.equal(signed, 3, 'proposal, prevote, precommit');
});

test('helps a validator one height behind with the commit certificate', () => {
  const { e } = lockedOnX();
  feed(
    e,
    () => e.vote(precommit(1, 1, 0, hX)),
    () => e.vote(precommit(2, 1, 0, hX)),
  );
  e.committed(1, set);
  const help = only(e.vote(prevote(3, 1, 4, null)), 'broadcastVote');
  assert.ok(help.length >= 3);
  assert.ok(help.every((a) => a.vote.type === VoteType.PRECOMMIT && a.vote.height === 1));
  assert.equal(e.vote(prevote(3, 1, 5, null)).length, 0, 'rate limited until the next rebroadcast tick');
});

test.run();
