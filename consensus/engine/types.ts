/**
 * Consensus data types. The engine is generic over block contents: a block is
 * opaque bytes plus the 32-byte hash the executor computes for it.
 */
import { VoteType } from '../../src/chain/vote.js';

/** Chain data shared with light clients, defined in the bottom layer (src/chain). */
export type { CommitCertificate, CommitSignature, Verify } from '../../src/chain/commit.js';
export { HASH_LEN, MAX_SIGNATURE_LEN } from '../../src/chain/commit.js';
export type { Validator } from '../../src/chain/validators.js';
export { VoteType };

/** Steps in the order a validator signs them within one round (privval order). */
export const SignStep = { PROPOSE: 1, PREVOTE: 2, PRECOMMIT: 3 } as const;
export type SignStep = (typeof SignStep)[keyof typeof SignStep];

export const signStepOf = (t: VoteType): SignStep => (t === VoteType.PREVOTE ? SignStep.PREVOTE : SignStep.PRECOMMIT);

export interface Proposal {
  chainId?: string;
  height: number;
  round: number;
  /** Round of the polka that justifies re-proposing this block; -1 if none. */
  polRound: number;
  blockHash: Uint8Array;
  /** The opaque encoded block. */
  block: Uint8Array;
  proposerIndex: number;
  signature: Uint8Array;
}

export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  /** null is a vote for nil. */
  blockHash: Uint8Array | null;
  validatorIndex: number;
  signature: Uint8Array;
}

/** Signs the exact bytes given (the caller adds domain separation around `*SignBytes`). */
export interface Signer {
  sign(bytes: Uint8Array): Uint8Array;
}
