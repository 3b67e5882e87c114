import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Action } from '../../consensus/engine/actions.js';
import type { ConsensusEngine } from '../../consensus/engine/engine.js';
import { VoteType } from '../../consensus/engine/types.js';
import { block, engine, hashOf, only, ownVotes, precommit, prevote, proposal, set } from './helpers.js';

const DRIFT = 10_000;
const LAST = 1_000_000; // previous block's time
const NOW = LAST + 60_000; // our clock when the proposal arrives
const X = block('x');
const hX = hashOf(X);

/** Answers every validation in `acts` as valid with block time `time`; returns everything that followed. */
function validated(e: ConsensusEngine, acts: Action[], time: number): Action[] {
  const out = [...acts];
  for (const a of only(acts, 'validateProposal'))
    out.push(...e.proposalValidated(a.height, a.round, a.blockHash, true, time));
  return out;
}

/** Our prevote on a fresh round-0 proposal of X whose block time is `time`. */
function prevoteOn(time: number): Uint8Array | null | undefined {
  const e = engine(0, { maxClockDriftMs: DRIFT });
  e.start(1, set, LAST);
  const acts = validated(e, e.proposal(proposal(1, 1, 0, X), NOW), time);
  return ownVotes(acts, 0).find((v) => v.type === VoteType.PREVOTE)?.blockHash;
}

test('block time: a proposal within the drift of our clock gets our prevote', () => {
  assert.equal(prevoteOn(NOW - 1_000), hX);
  assert.equal(prevoteOn(NOW + DRIFT), hX);
  assert.equal(prevoteOn(NOW - DRIFT), hX);
});

test('block time: nil on a block time further behind our clock than maxClockDriftMs (lower bound)', () => {
  assert.is(prevoteOn(NOW - DRIFT - 1), null);
});

test('block time: nil on a block time further ahead of our clock than maxClockDriftMs (upper bound)', () => {
  assert.is(prevoteOn(NOW + DRIFT + 1), null);
});

test('block time: nil on a block time not after the previous block, whatever the clock', () => {
  const e = engine(0, {});
  e.start(1, set, LAST);
  const acts = validated(e, e.proposal(proposal(1, 1, 0, X), LAST), LAST);
  assert.is(ownVotes(acts, 0).find((v) => v.type === VoteType.PREVOTE)?.blockHash, null);
});

test('block time: a re-proposal with a proof of lock is exempt from the clock bounds (a quorum judged it fresh)', () => {
  const e = engine(0, { maxClockDriftMs: DRIFT });
  e.start(1, set, LAST);
  // A polka for X in round 0 that we did not take part in, then f+1 validators in round 1.
  for (const i of [1, 2, 3]) e.vote(prevote(i, 1, 0, hX));
  for (const i of [1, 3]) e.vote(precommit(i, 1, 1, null));
  assert.is(e.round, 1);
  const late = NOW + 10 * DRIFT;
  const acts = validated(e, e.proposal(proposal(2, 1, 1, X, 0), late), NOW);
  const pv = ownVotes(acts, 0).find((v) => v.type === VoteType.PREVOTE && v.round === 1);
  assert.equal(pv?.blockHash, hX);
});

test('block time: without maxClockDriftMs (simulations) only the previous block bounds it', () => {
  const e = engine(0, {});
  e.start(1, set, LAST);
  const acts = validated(e, e.proposal(proposal(1, 1, 0, X), NOW), NOW - 5 * DRIFT);
  assert.equal(ownVotes(acts, 0).find((v) => v.type === VoteType.PREVOTE)?.blockHash, hX);
});

test.run();
