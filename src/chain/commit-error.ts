import { MedchainError } from '../errors.js';

/**
 * Codes for validator sets and commit certificates. The values keep their CONSENSUS_ prefix: they
 * were consensus codes before the light-client checks moved to the bottom layer, and logs, metrics
 * and RPC error data key on them.
 */
export const CommitErrorCode = {
  INVALID_VALIDATOR_SET: 'CONSENSUS_INVALID_VALIDATOR_SET',
  CERT_WRONG_HEIGHT: 'CONSENSUS_CERT_WRONG_HEIGHT',
  CERT_UNKNOWN_VALIDATOR: 'CONSENSUS_CERT_UNKNOWN_VALIDATOR',
  CERT_DUPLICATE_SIGNER: 'CONSENSUS_CERT_DUPLICATE_SIGNER',
  CERT_BAD_SIGNATURE: 'CONSENSUS_CERT_BAD_SIGNATURE',
  CERT_INSUFFICIENT_POWER: 'CONSENSUS_CERT_INSUFFICIENT_POWER',
} as const;
export type CommitErrorCode = (typeof CommitErrorCode)[keyof typeof CommitErrorCode];

export class CommitError extends MedchainError<CommitErrorCode> {}
