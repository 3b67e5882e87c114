import * as assert from 'uvu/assert';
import type { Action } from '../../consensus/engine/actions.js';
import { ConsensusEngine } from '../../consensus/engine/engine.js';
import { proposalSignBytes, voteSignBytes } from '../../consensus/engine/messages.js';
import type { ConsensusOptions } from '../../consensus/engine/options.js';
import { type Proposal, type Vote, VoteType } from '../../consensus/engine/types.js';
import { simValidators } from '../../consensus/sim/keys.js';
import { utf8 } from '../../src/codec/bytes.js';
import { encode } from '../../src/codec/cbor.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isCoded } from '../../src/errors.js';

/** Four equal validators (quorum 3, f+1 = 2); proposer of (h, r) is (h + r) % 4. */
export const net = simValidators(4);
export const { set, keys, keyring } = net;

/** No waiting for transactions unless a test asks for it. */
export const testOpts: Partial<ConsensusOptions> = { emptyBlockIntervalMs: 0 };

export function engine(i: number, opts: Partial<ConsensusOptions> = {}): ConsensusEngine {
  const k = keys[i];
  if (!k) throw new Error('no such validator');
  return new ConsensusEngine({ ...testOpts, ...opts }, { pubkey: k.pubkey, signer: k.signer, verify: keyring.verify });
}

export const block = (label: string): Uint8Array => encode(['block', label]);
export const hashOf = (b: Uint8Array): Uint8Array => sha256(b);
export const randomHash = (label: string): Uint8Array => sha256(utf8(label));

export function vote(i: number, type: VoteType, height: number, round: number, blockHash: Uint8Array | null): Vote {
  const unsigned = { type, height, round, blockHash, validatorIndex: i };
  return { ...unsigned, signature: (keys[i] as (typeof keys)[number]).signer.sign(voteSignBytes(unsigned)) };
}

export const prevote = (i: number, h: number, r: number, hash: Uint8Array | null): Vote =>
  vote(i, VoteType.PREVOTE, h, r, hash);
export const precommit = (i: number, h: number, r: number, hash: Uint8Array | null): Vote =>
  vote(i, VoteType.PRECOMMIT, h, r, hash);

export function proposal(i: number, height: number, round: number, b: Uint8Array, polRound = -1): Proposal {
  const unsigned = { height, round, polRound, blockHash: hashOf(b), block: b, proposerIndex: i };
  return { ...unsigned, signature: (keys[i] as (typeof keys)[number]).signer.sign(proposalSignBytes(unsigned)) };
}

export function only<T extends Action['type']>(actions: Action[], type: T): Extract<Action, { type: T }>[] {
  return actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
}

/** Our own votes broadcast in these actions (relays of others' votes excluded). */
export function ownVotes(actions: Action[], me: number): Vote[] {
  return only(actions, 'broadcastVote')
    .map((a) => a.vote)
    .filter((v) => v.validatorIndex === me);
}

/** Answers every validateProposal in `actions` with `valid`, returning the engine's reaction. */
export function validateAll(e: ConsensusEngine, actions: Action[], valid = true): Action[] {
  const out: Action[] = [];
  for (const a of only(actions, 'validateProposal'))
    out.push(...e.proposalValidated(a.height, a.round, a.blockHash, valid));
  return out;
}

/** Feeds events in order, answering validations as valid; returns every action. */
export function feed(e: ConsensusEngine, ...batches: (Action[] | (() => Action[]))[]): Action[] {
  const all: Action[] = [];
  for (const b of batches) {
    const acts = typeof b === 'function' ? b() : b;
    all.push(...acts);
    let pending = acts;
    while (only(pending, 'validateProposal').length > 0) {
      pending = validateAll(e, pending);
      all.push(...pending);
    }
  }
  return all;
}

/** Asserts that `fn` throws a MedchainError with `code`. */
export function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(isCoded(err, code), `expected ${code}, got ${String(err)}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}
