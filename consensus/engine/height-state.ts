import type { Proposal, Vote } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import { hashKey, VoteSet } from './vote-set.js';

export type BlockStatus = 'unknown' | 'pending' | 'valid' | 'invalid';

export interface BlockEntry {
  block: Uint8Array;
  hash: Uint8Array;
  status: BlockStatus;
  /** Block time, once validation reported it. */
  time?: number;
}

/** Everything seen and done in one round of the current height. */
export class RoundState {
  readonly prevotes: VoteSet;
  readonly precommits: VoteSet;
  /** Proposals from this round's proposer; the first decides our prevote. */
  readonly proposals: Proposal[] = [];
  ownProposal: Proposal | undefined;
  /** Our clock when this round's first proposal arrived (if the driver tells us). */
  proposalAt: number | undefined;
  ownPrevote: Vote | undefined;
  ownPrecommit: Vote | undefined;
  // "for the first time" guards of the Tendermint rules
  prevoteTimeoutScheduled = false;
  precommitTimeoutScheduled = false;
  polkaHandled = false;
  proposalEvidenceSent = false;

  constructor(size: number) {
    this.prevotes = new VoteSet(size);
    this.precommits = new VoteSet(size);
  }
}

/** Per-height message store, dropped as a whole when the height ends. */
export class HeightState {
  private readonly rounds = new Map<number, RoundState>();
  /** Blocks by hash hex: a block is the same whichever round proposed it. */
  readonly blocks = new Map<string, BlockEntry>();
  /** Highest round each validator sent anything in (-1: nothing yet). */
  readonly maxRoundOf: number[];
  maxRoundSeen = -1;

  constructor(
    readonly height: number,
    readonly set: ValidatorSet,
  ) {
    this.maxRoundOf = new Array<number>(set.size).fill(-1);
  }

  round(r: number): RoundState {
    let rs = this.rounds.get(r);
    if (!rs) {
      rs = new RoundState(this.set.size);
      this.rounds.set(r, rs);
    }
    return rs;
  }

  peek(r: number): RoundState | undefined {
    return this.rounds.get(r);
  }

  addBlock(hash: Uint8Array, block: Uint8Array, status: BlockStatus = 'unknown'): BlockEntry {
    const k = hashKey(hash);
    let e = this.blocks.get(k);
    if (!e) {
      e = { block, hash, status };
      this.blocks.set(k, e);
    } else if (status === 'valid') e.status = 'valid';
    return e;
  }

  noteRound(validator: number, round: number): void {
    if (round > (this.maxRoundOf[validator] as number)) this.maxRoundOf[validator] = round;
    if (round > this.maxRoundSeen) this.maxRoundSeen = round;
  }

  /**
   * Highest round R above `above` such that validators with more than 1/3 of
   * the power have sent messages in rounds >= R (so at least one honest
   * validator is there); -1 if none.
   */
  skipTarget(above: number): number {
    if (this.maxRoundSeen <= above) return -1;
    const idx = this.maxRoundOf.map((_, i) => i).filter((i) => (this.maxRoundOf[i] as number) > above);
    idx.sort((a, b) => (this.maxRoundOf[b] as number) - (this.maxRoundOf[a] as number));
    let power = 0;
    for (const i of idx) {
      power += this.set.power(i);
      if (power >= this.set.oneThird) return this.maxRoundOf[i] as number;
    }
    return -1;
  }
}
