/**
 * Consensus data types. The engine is generic over block contents: a block is
 * opaque bytes plus the 32-byte hash the executor computes for it.
 */

export interface Validator {
  /** 32-byte organization id. */
  id: Uint8Array;
  /** 32-byte ed25519 public key. */
  pubkey: Uint8Array;
  /** Voting power, a positive safe integer. */
  power: number;
}

import { VoteType } from '../../src/chain/vote.js';

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

export interface CommitSignature {
  validatorIndex: number;
  signature: Uint8Array;
}

/** More than 2/3 of the power signed PRECOMMIT(height, round, blockHash): the block is final. */
export interface CommitCertificate {
  height: number;
  round: number;
  blockHash: Uint8Array;
  /** Sorted by validatorIndex, no duplicates (canonical). */
  signatures: CommitSignature[];
}

/** Signs the exact bytes given (the caller adds domain separation around `*SignBytes`). */
export interface Signer {
  sign(bytes: Uint8Array): Uint8Array;
}

export type Verify = (pubkey: Uint8Array, bytes: Uint8Array, signature: Uint8Array) => boolean;

export const HASH_LEN = 32;
export const MAX_SIGNATURE_LEN = 128;
