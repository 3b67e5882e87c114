/** Consensus timing and limits. All durations are milliseconds. */
export interface ConsensusOptions {
  /** Put into proposals (and their sign bytes). */
  chainId?: string;
  /** Round r waits base + delta * r for each step, never more than timeoutMaxMs. */
  timeoutProposeMs: number;
  timeoutProposeDeltaMs: number;
  timeoutPrevoteMs: number;
  timeoutPrevoteDeltaMs: number;
  timeoutPrecommitMs: number;
  timeoutPrecommitDeltaMs: number;
  /**
   * Upper bound for any round timeout. Unbounded growth (Besu QBFT doubling to
   * 4,096 s) kept chains stuck for hours after an outage; linear growth up to
   * a cap keeps recovery time bounded.
   */
  timeoutMaxMs: number;
  /**
   * When no transactions are pending, round 0 of a height waits up to this
   * long for `txsAvailable` before proposing an empty block (a heartbeat).
   * 0 proposes immediately, empty or not.
   */
  emptyBlockIntervalMs: number;
  /**
   * While a round does not finish, re-send our own signed messages and the
   * quorum that justified the round this often, so dropped messages cannot
   * stall the network (delivery is not assumed reliable).
   */
  rebroadcastMs: number;
  /**
   * How far a fresh proposal's block time may be from our clock, either way
   * (the chain's maxClockDriftMs). A validator prevotes nil on a proposal
   * built at a time too far ahead, or too far behind (a Byzantine proposer
   * dragging block time back, which consents and expiries are judged by).
   * Re-proposals (polRound >= 0) are exempt: a quorum judged them when they
   * were fresh. Undefined: not checked (simulations without a clock).
   */
  maxClockDriftMs?: number;
  /** Messages buffered for the next height while this one finishes. */
  maxFutureMessages: number;
  /** Rounds ahead of ours whose votes are stored in full (beyond: only who is there). */
  maxRoundsAhead: number;
  /** Distinct proposals kept per round (an equivocating proposer may send more). */
  maxProposalsPerRound: number;
  /**
   * Test-only faults to prove the simulator catches unsafe engines. Never set
   * in production: `noLocking` ignores locks and valid values, `halfQuorum`
   * counts a majority as a quorum.
   */
  unsafeTestFaults?: { noLocking?: boolean; halfQuorum?: boolean };
}

export const defaultConsensusOptions: ConsensusOptions = {
  timeoutProposeMs: 3000,
  timeoutProposeDeltaMs: 500,
  timeoutPrevoteMs: 1000,
  timeoutPrevoteDeltaMs: 500,
  timeoutPrecommitMs: 1000,
  timeoutPrecommitDeltaMs: 500,
  timeoutMaxMs: 30_000,
  emptyBlockIntervalMs: 5000,
  rebroadcastMs: 2000,
  maxFutureMessages: 1024,
  maxRoundsAhead: 10,
  maxProposalsPerRound: 2,
};

export type RoundTimeoutKind = 'propose' | 'prevote' | 'precommit';

/** base + delta * round, capped; safe for any round number. */
export function roundTimeout(opts: ConsensusOptions, kind: RoundTimeoutKind, round: number): number {
  const [base, delta] =
    kind === 'propose'
      ? [opts.timeoutProposeMs, opts.timeoutProposeDeltaMs]
      : kind === 'prevote'
        ? [opts.timeoutPrevoteMs, opts.timeoutPrevoteDeltaMs]
        : [opts.timeoutPrecommitMs, opts.timeoutPrecommitDeltaMs];
  return Math.min(opts.timeoutMaxMs, base + delta * round);
}
