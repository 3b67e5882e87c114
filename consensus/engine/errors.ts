import { CommitErrorCode } from '../../src/chain/commit-error.js';
import { MedchainError } from '../../src/errors.js';

/** Bounded codes for consensus: tests and metrics key on these. */
export const ConsensusErrorCode = {
  /** Validator-set and certificate codes (src/chain/commit-error.ts). */
  ...CommitErrorCode,
  INVALID_MESSAGE: 'CONSENSUS_INVALID_MESSAGE',
  SIGN_CONFLICT: 'CONSENSUS_SIGN_CONFLICT',
  SIGN_REGRESSION: 'CONSENSUS_SIGN_REGRESSION',
  WAL_CORRUPT: 'CONSENSUS_WAL_CORRUPT',
  NOT_STARTED: 'CONSENSUS_NOT_STARTED',
  CLOSED: 'CONSENSUS_CLOSED',
  /** The executor could not commit a decided block; the engine drops its body and fetches it again. */
  COMMIT_FAILED: 'CONSENSUS_COMMIT_FAILED',
  /** A synced block whose checked header hash is not the certificate's block hash. */
  SYNCED_BLOCK_MISMATCH: 'CONSENSUS_SYNCED_BLOCK_MISMATCH',
  /** A synced block for a height other than the one the engine works on (not the sender's fault). */
  SYNCED_NOT_NEXT: 'CONSENSUS_SYNCED_NOT_NEXT',
  /** The engine did not decide on a synced block (its certificate does not hold for this height). */
  SYNCED_BLOCK_REFUSED: 'CONSENSUS_SYNCED_BLOCK_REFUSED',
} as const;
export type ConsensusErrorCode = (typeof ConsensusErrorCode)[keyof typeof ConsensusErrorCode];

export class ConsensusError extends MedchainError<ConsensusErrorCode> {}
