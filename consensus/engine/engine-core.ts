import { equal } from '../../src/codec/bytes.js';
import type { Action, SyncHint, TimeoutKind } from './actions.js';
import { certificateVote } from './certificate.js';
import type { FutureMessages } from './future.js';
import { type BlockEntry, HeightState, type RoundState } from './height-state.js';
import { proposalSignBytes, voteSignBytes } from './messages.js';
import { type ConsensusOptions, defaultConsensusOptions } from './options.js';
import { SignGuard } from './sign-guard.js';
import {
  type CommitCertificate,
  HASH_LEN,
  type Proposal,
  type Signer,
  SignStep,
  type Verify,
  type Vote,
  VoteType,
} from './types.js';
import type { ValidatorSet } from './validator-set.js';
import { hashKey } from './vote-set.js';
import type { LockInfo, WalEntry } from './wal-entries.js';

/** Where a message came from: we log peers' messages; our own and replayed ones are logged already. */
export type Source = 'peer' | 'own' | 'wal';

export type EngineStep = 'idle' | 'newRound' | 'propose' | 'prevote' | 'precommit' | 'decided';

export interface EngineDeps {
  /** Our validator key; omit both to follow the chain without voting. */
  pubkey?: Uint8Array;
  signer?: Signer;
  /** Checks certificates handed to synced(); votes and proposals arrive already verified. */
  verify: Verify;
}

/**
 * The engine's state, message intake and signing. ConsensusEngine adds the
 * events and the Tendermint rules on top; the split only keeps files small.
 */
export abstract class EngineCore {
  height = 0;
  round = 0;
  step: EngineStep = 'idle';
  lockedRound = -1;
  lockedHash: Uint8Array | null = null;
  validRound = -1;
  validHash: Uint8Array | null = null;

  protected readonly opts: ConsensusOptions;
  protected readonly guard = new SignGuard();
  protected set!: ValidatorSet;
  protected hs!: HeightState;
  protected future!: FutureMessages;
  protected myIndex = -1;
  protected out: Action[] = [];
  /** Bumped on every state change; settle() loops until it stops moving. */
  protected version = 0;
  protected txs = false;
  protected buildingRound = -1;
  protected minTime = 0;
  protected lastCommit: CommitCertificate | undefined;
  /** Rounds that received precommits since the last settle (the commit rule holds in any round). */
  protected readonly commitRounds = new Set<number>();
  /** A commit quorum whose block we lack. */
  protected missing: { round: number; key: string; hash: Uint8Array } | undefined;
  protected decision: CommitCertificate | undefined;
  /** Where to return if the decided block cannot be committed (see commitFailed). */
  protected stepBeforeDecision: EngineStep = 'newRound';
  /** Rate limits (reset on each rebroadcast tick) for laggard help and sync requests. */
  protected helped = false;
  protected syncAsked = false;
  protected readonly evidenceLog: Action[] = [];

  constructor(
    opts: Partial<ConsensusOptions>,
    protected readonly deps: EngineDeps,
  ) {
    this.opts = { ...defaultConsensusOptions, ...opts };
  }

  // ------------------------------------------------------------ plumbing

  protected enterHeight(height: number, set: ValidatorSet): void {
    this.height = height;
    this.set = set;
    this.hs = new HeightState(height, set);
    this.myIndex = this.deps.pubkey && this.deps.signer ? set.indexOfPubkey(this.deps.pubkey) : -1;
    this.round = 0;
    this.step = 'newRound';
    this.lockedRound = -1;
    this.lockedHash = null;
    this.validRound = -1;
    this.validHash = null;
    this.txs = false;
    this.buildingRound = -1;
    this.missing = undefined;
    this.commitRounds.clear();
    this.decision = undefined;
    this.syncAsked = false;
    this.helped = false;
    this.version++;
  }

  protected quorum(): number {
    return this.opts.unsafeTestFaults?.halfQuorum ? Math.floor(this.set.totalPower / 2) + 1 : this.set.quorum;
  }

  protected get noLocking(): boolean {
    return this.opts.unsafeTestFaults?.noLocking === true;
  }

  protected schedule(kind: TimeoutKind, round: number, ms: number): void {
    this.out.push({ type: 'scheduleTimeout', kind, height: this.height, round, ms });
  }

  // ------------------------------------------------------------ messages

  protected onProposal(p: Proposal, from: Source, now?: number): void {
    if (this.step === 'idle') return;
    if (p.height > this.height) {
      this.onFuture({ proposal: p });
      return;
    }
    if (p.height < this.height) {
      this.helpLaggard(p.height);
      return;
    }
    if (this.step === 'decided') return;
    // Wrong proposer, bad polRound or malformed hash: ignored (timeouts then prevote nil).
    if (p.proposerIndex !== this.set.proposer(p.height, p.round)) return;
    if (p.polRound < -1 || p.polRound >= p.round || p.blockHash.length !== HASH_LEN) return;
    this.hs.noteRound(p.proposerIndex, p.round);
    this.version++;
    if (p.round > this.round + this.opts.maxRoundsAhead) return;
    const rs = this.hs.round(p.round);
    rs.proposalAt ??= now;
    if (rs.proposals.some((q) => equal(q.blockHash, p.blockHash))) {
      // A body dropped after a failed commit comes back with a re-sent proposal.
      this.hs.addBlock(p.blockHash, p.block);
      return;
    }
    const first = rs.proposals[0];
    if (first && !rs.proposalEvidenceSent) {
      rs.proposalEvidenceSent = true;
      this.report({ type: 'proposalEvidence', proposalA: first, proposalB: p });
    }
    if (rs.proposals.length >= this.opts.maxProposalsPerRound) return;
    rs.proposals.push(p);
    this.hs.addBlock(p.blockHash, p.block, from === 'own' ? 'valid' : 'unknown');
    if (from === 'peer') this.out.push({ type: 'walAppend', entry: { kind: 'proposal', own: false, proposal: p } });
  }

  protected onVote(v: Vote, from: Source): void {
    if (this.step === 'idle') return;
    if (v.height > this.height) {
      this.onFuture({ vote: v });
      return;
    }
    if (v.height < this.height) {
      if (!this.isOwnCertVote(v)) this.helpLaggard(v.height);
      return;
    }
    if (this.step === 'decided') return;
    // Non-validators and malformed votes are rejected.
    if (v.validatorIndex >= this.set.size) return;
    if (v.type !== VoteType.PREVOTE && v.type !== VoteType.PRECOMMIT) return;
    if (v.blockHash !== null && v.blockHash.length !== HASH_LEN) return;
    this.hs.noteRound(v.validatorIndex, v.round);
    if (v.round > this.round + this.opts.maxRoundsAhead) {
      this.version++;
      return;
    }
    const rs = this.hs.round(v.round);
    const set = v.type === VoteType.PREVOTE ? rs.prevotes : rs.precommits;
    const known = v.blockHash === null || this.hs.blocks.has(hashKey(v.blockHash));
    const r = set.add(v, this.set.power(v.validatorIndex), known);
    if (r.kind === 'duplicate') return;
    if (r.kind === 'conflict') {
      if (r.report) this.report({ type: 'evidence', voteA: r.first, voteB: v });
      if (!r.counted) return;
    }
    this.version++;
    if (v.type === VoteType.PRECOMMIT) this.commitRounds.add(v.round);
    if (from === 'peer') this.out.push({ type: 'walAppend', entry: { kind: 'vote', own: false, vote: v } });
  }

  protected report(a: Action): void {
    this.out.push(a);
    if (this.evidenceLog.length < 256) this.evidenceLog.push(a);
  }

  protected onFuture(m: { proposal: Proposal } | { vote: Vote }): void {
    if (('vote' in m ? m.vote.validatorIndex : m.proposal.proposerIndex) >= this.set.size) return;
    this.future.add(m, this.height);
    // Senders with more than 1/3 power two heights ahead: we are surely behind.
    if (this.future.powerAtOrAbove(this.height + 2, (i) => this.set.power(i)) >= this.set.oneThird)
      this.askSync({ height: this.future.highest() });
  }

  /** Precommits we broadcast ourselves to help laggards must not trigger more help. */
  protected isOwnCertVote(v: Vote): boolean {
    const c = this.lastCommit;
    return (
      c !== undefined &&
      v.type === VoteType.PRECOMMIT &&
      v.height === c.height &&
      v.round === c.round &&
      v.blockHash !== null &&
      equal(v.blockHash, c.blockHash)
    );
  }

  /** A validator still works on the height we just finished: send it the certificate's precommits. */
  protected helpLaggard(height: number): void {
    const c = this.lastCommit;
    if (this.helped || !c || c.height !== height) return;
    this.helped = true;
    for (let i = 0; i < c.signatures.length; i++) this.out.push({ type: 'broadcastVote', vote: certificateVote(c, i) });
  }

  protected askSync(hint: SyncHint): void {
    if (this.syncAsked) return;
    this.syncAsked = true;
    this.out.push({ type: 'requestSync', fromHeight: this.height, hint });
  }

  protected resendOwn(rs: RoundState): void {
    if (rs.ownProposal) this.sendProposal(rs.ownProposal);
    if (rs.ownPrevote) this.out.push({ type: 'broadcastVote', vote: rs.ownPrevote });
    if (rs.ownPrecommit) this.out.push({ type: 'broadcastVote', vote: rs.ownPrecommit });
  }

  /** A re-proposal travels with its proof of lock (the polka's prevotes). */
  protected sendProposal(p: Proposal): void {
    this.out.push({ type: 'broadcastProposal', proposal: p });
    if (p.polRound < 0) return;
    const pol = this.hs.peek(p.polRound)?.prevotes.votesFor(hashKey(p.blockHash)) ?? [];
    for (const v of pol) this.out.push({ type: 'broadcastVote', vote: v });
  }

  // ------------------------------------------------------------ signing

  protected lock(): LockInfo {
    return { lockedRound: this.lockedRound, lockedHash: this.lockedHash };
  }

  /** Guard check; false if signing here could equivocate (then we stay silent). */
  protected guardAllows(step: SignStep, hash: Uint8Array | null): boolean {
    try {
      this.guard.advance(this.height, this.round, step, hash);
      return true;
    } catch {
      return false;
    }
  }

  protected propose(block: Uint8Array, blockHash: Uint8Array, polRound: number): void {
    const rs = this.hs.round(this.round);
    if (rs.ownProposal || !this.deps.signer || !this.guardAllows(SignStep.PROPOSE, blockHash)) return;
    const unsigned = {
      height: this.height,
      round: this.round,
      polRound,
      blockHash,
      block,
      proposerIndex: this.myIndex,
      ...(this.opts.chainId !== undefined ? { chainId: this.opts.chainId } : {}),
    };
    const p: Proposal = { ...unsigned, signature: this.deps.signer.sign(proposalSignBytes(unsigned)) };
    rs.ownProposal = p;
    this.persist(SignStep.PROPOSE, blockHash, { kind: 'proposal', own: true, proposal: p, lock: this.lock() });
    this.sendProposal(p);
    this.onProposal(p, 'own');
  }

  protected signVote(type: VoteType, blockHash: Uint8Array | null): void {
    const rs = this.hs.round(this.round);
    this.step = type === VoteType.PREVOTE ? 'prevote' : 'precommit';
    this.version++;
    const step = type === VoteType.PREVOTE ? SignStep.PREVOTE : SignStep.PRECOMMIT;
    const mine = type === VoteType.PREVOTE ? rs.ownPrevote : rs.ownPrecommit;
    if (mine || this.myIndex < 0 || !this.deps.signer || !this.guardAllows(step, blockHash)) return;
    const unsigned = { type, height: this.height, round: this.round, blockHash, validatorIndex: this.myIndex };
    const vote: Vote = { ...unsigned, signature: this.deps.signer.sign(voteSignBytes(unsigned)) };
    if (type === VoteType.PREVOTE) rs.ownPrevote = vote;
    else rs.ownPrecommit = vote;
    this.persist(step, blockHash, { kind: 'vote', own: true, vote, lock: this.lock() });
    this.out.push({ type: 'broadcastVote', vote });
    this.onVote(vote, 'own');
  }

  protected persist(step: SignStep, hash: Uint8Array | null, entry: WalEntry): void {
    this.out.push({ type: 'persistSignState', height: this.height, round: this.round, step, hash, entry });
  }

  // ------------------------------------------------------------ validation

  protected ensureValidation(e: BlockEntry): BlockEntry['status'] {
    if (e.status === 'unknown') {
      e.status = 'pending';
      this.out.push({
        type: 'validateProposal',
        height: this.height,
        round: this.round,
        block: e.block,
        blockHash: e.hash,
      });
    }
    return e.status;
  }
}
