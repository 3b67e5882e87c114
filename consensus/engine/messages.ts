import { MAX_VALIDATORS } from '../../src/chain/validator-set.js';
import { asBytes, asString, asTuple, asUint, decodeCanonical, encode, shapeError } from '../../src/codec/cbor.js';
import { HASH_LEN, MAX_SIGNATURE_LEN, type Proposal, type Vote, VoteType } from './types.js';

/**
 * Canonical CBOR tuples for the wire and the WAL, and the exact bytes each
 * signature covers. Sign bytes leave out the signature (and, for a proposal,
 * the block, which the hash commits to); the lead wraps them with a domain
 * separation tag and the chain id.
 */

export const MAX_VOTE_BYTES = 256;
export const MAX_CHAIN_ID_LEN = 64;
export { MAX_VALIDATORS } from '../../src/chain/validator-set.js';

const PROPOSAL_TAG = 0;

function asRound(v: unknown, what: string): number {
  return asUint(v, what, 0xffffffff);
}

function asPolRound(v: unknown): number {
  if (v === -1) return -1;
  return asRound(v, 'proposal.polRound');
}

function asVoteType(v: unknown): VoteType {
  if (v !== VoteType.PREVOTE && v !== VoteType.PRECOMMIT) throw shapeError('vote.type');
  return v;
}

// ---- votes ----

/** Defined in src/chain/vote.ts: the state machine judges equivocation evidence with the same bytes. */
export { voteSignBytes } from '../../src/chain/vote.js';

export function encodeVote(v: Vote): Uint8Array {
  return encode([v.type, v.height, v.round, v.blockHash, v.validatorIndex, v.signature]);
}

export function decodeVote(bytes: Uint8Array): Vote {
  const t = asTuple(decodeCanonical(bytes, MAX_VOTE_BYTES), 6, 'vote');
  return {
    type: asVoteType(t[0]),
    height: asUint(t[1], 'vote.height'),
    round: asRound(t[2], 'vote.round'),
    blockHash: t[3] === null ? null : asBytes(t[3], 'vote.blockHash', HASH_LEN),
    validatorIndex: asUint(t[4], 'vote.validatorIndex', MAX_VALIDATORS - 1),
    signature: asBytes(t[5], 'vote.signature', undefined, MAX_SIGNATURE_LEN),
  };
}

// ---- proposals ----

export function proposalSignBytes(p: Omit<Proposal, 'signature' | 'block'>): Uint8Array {
  return encode([PROPOSAL_TAG, p.chainId ?? '', p.height, p.round, p.polRound, p.blockHash, p.proposerIndex]);
}

export function encodeProposal(p: Proposal): Uint8Array {
  return encode([p.chainId ?? '', p.height, p.round, p.polRound, p.blockHash, p.block, p.proposerIndex, p.signature]);
}

/** `maxBytes` bounds the whole message (block included) before decoding. */
export function decodeProposal(bytes: Uint8Array, maxBytes: number): Proposal {
  const t = asTuple(decodeCanonical(bytes, maxBytes), 8, 'proposal');
  const chainId = asString(t[0], 'proposal.chainId', MAX_CHAIN_ID_LEN);
  const p: Proposal = {
    height: asUint(t[1], 'proposal.height'),
    round: asRound(t[2], 'proposal.round'),
    polRound: asPolRound(t[3]),
    blockHash: asBytes(t[4], 'proposal.blockHash', HASH_LEN),
    block: asBytes(t[5], 'proposal.block'),
    proposerIndex: asUint(t[6], 'proposal.proposerIndex', MAX_VALIDATORS - 1),
    signature: asBytes(t[7], 'proposal.signature', undefined, MAX_SIGNATURE_LEN),
  };
  // '' and "no chain id" are one value, so the encoding stays unique.
  if (chainId !== '') p.chainId = chainId;
  if (p.polRound >= p.round) throw shapeError('proposal.polRound');
  return p;
}

// ---- commit certificates ----

/** Defined in src/chain/commit.ts: light clients decode certificates without consensus. */
export { decodeCommit, encodeCommit, MAX_COMMIT_BYTES } from '../../src/chain/commit.js';
