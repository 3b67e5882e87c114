import type { CommitCertificate, Proposal, SignStep, Vote } from './types.js';
import type { WalEntry } from './wal-entries.js';

/** 'heartbeat' ends round 0's wait for transactions; 'rebroadcast' re-sends while a round is stuck. */
export type TimeoutKind = 'propose' | 'prevote' | 'precommit' | 'heartbeat' | 'rebroadcast';

/** Why the engine asks for blocks it cannot get from consensus messages. */
export interface SyncHint {
  /** Highest height we saw evidence of (f+1 power at or above it), if any. */
  height?: number;
  /** Set when we hold a commit quorum for a block we never received. */
  round?: number;
  blockHash?: Uint8Array;
}

/**
 * What the engine asks its driver to do, in order. The driver must finish a
 * `persistSignState` (durably) before it performs any later action: that is
 * what keeps a crash from releasing a signature the restarted node forgets.
 */
export type Action =
  | {
      type: 'persistSignState';
      height: number;
      round: number;
      step: SignStep;
      hash: Uint8Array | null;
      /** The WAL record to append and sync (carries the signed message and our lock). */
      entry: WalEntry;
    }
  | { type: 'broadcastProposal'; proposal: Proposal }
  | { type: 'broadcastVote'; vote: Vote }
  | { type: 'scheduleTimeout'; kind: TimeoutKind; height: number; round: number; ms: number }
  /** Build a block for (height, round) with time >= minTime; answer with blockBuilt. */
  | { type: 'buildBlock'; height: number; round: number; minTime: number }
  /** Execute the block; answer with proposalValidated (valid only if the computed hash equals blockHash). */
  | { type: 'validateProposal'; height: number; round: number; block: Uint8Array; blockHash: Uint8Array }
  /** Final: apply block and certificate, then call committed(height, nextValidatorSet). */
  | { type: 'commit'; height: number; round: number; block: Uint8Array; cert: CommitCertificate }
  /** Fetch (block, certificate) for fromHeight onward from peers; answer with synced(...). */
  | { type: 'requestSync'; fromHeight: number; hint: SyncHint }
  /** One validator signed two different votes for one (height, round, type). Emitted once per offence. */
  | { type: 'evidence'; voteA: Vote; voteB: Vote }
  /** The proposer signed two different proposals for one (height, round). */
  | { type: 'proposalEvidence'; proposalA: Proposal; proposalB: Proposal }
  /** Append a received message to the WAL (no sync needed: peers re-send). */
  | { type: 'walAppend'; entry: WalEntry }
  /** A new height started: WAL records of earlier heights may go (keep the last own one). */
  | { type: 'walNewHeight'; height: number };

export type ActionType = Action['type'];
