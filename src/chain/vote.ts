import { encode } from '../codec/cbor.js';

/**
 * The signed content of a consensus vote, shared by consensus (which signs
 * and counts votes) and the state machine (which judges equivocation
 * evidence): one definition of the bytes, so both agree on what was signed.
 */
export const VoteType = { PREVOTE: 1, PRECOMMIT: 2 } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

export interface VoteContent {
  type: VoteType;
  height: number;
  round: number;
  /** null is a vote for nil. */
  blockHash: Uint8Array | null;
  validatorIndex: number;
}

export const voteSignBytes = (v: VoteContent): Uint8Array =>
  encode([v.type, v.height, v.round, v.blockHash, v.validatorIndex]);
