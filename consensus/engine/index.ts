/** Public face of the BFT engine: a pure state machine plus the driver that runs it. */
export type { Action, ActionType, SyncHint, TimeoutKind } from './actions.js';
export { certificateFromVotes, certificateVote, isValidCommit, verifyCommit } from './certificate.js';
export type { Clock, CommitResult, DriverDeps, DriverWal, Executor, Transport } from './driver.js';
export { ConsensusDriver, systemClock } from './driver.js';
export type { EngineDeps, EngineStep, RestoreState } from './engine.js';
export { ConsensusEngine } from './engine.js';
export { ConsensusError, ConsensusErrorCode } from './errors.js';
export {
  decodeCommit,
  decodeProposal,
  decodeVote,
  encodeCommit,
  encodeProposal,
  encodeVote,
  MAX_VOTE_BYTES,
  proposalSignBytes,
  voteSignBytes,
} from './messages.js';
export { type ConsensusOptions, defaultConsensusOptions, roundTimeout } from './options.js';
export * from './types.js';
export { ValidatorSet } from './validator-set.js';
