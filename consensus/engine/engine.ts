import { equal } from '../../src/codec/bytes.js';
import type { Action, TimeoutKind } from './actions.js';
import { certificateFromVotes, isValidCommit } from './certificate.js';
import { EngineCore, type EngineStep, type Source } from './engine-core.js';
import { FutureMessages } from './future.js';
import type { BlockEntry, RoundState } from './height-state.js';
import { roundTimeout } from './options.js';
import { restoreFromWal } from './restore.js';
import type { SignState } from './sign-guard.js';
import { type CommitCertificate, HASH_LEN, type Proposal, type Vote, VoteType } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import { hashKey, NIL_KEY } from './vote-set.js';
import type { LockInfo, WalEntry } from './wal-entries.js';

export type { EngineDeps, EngineStep } from './engine-core.js';

export interface RestoreState {
  /** WAL records (any heights; those of the start height are replayed). */
  wal?: readonly WalEntry[];
  /** Last signed point kept outside the WAL, if the driver keeps one. */
  signState?: SignState;
  /** Certificate of height - 1, to help validators that lag one height. */
  lastCommit?: CommitCertificate;
}

/**
 * Tendermint consensus ("The latest gossip on BFT consensus", Buchman, Kwon,
 * Milosevic 2018) as a pure state machine: every method takes one event and
 * returns the actions to perform, in order. No clock, randomness or I/O;
 * signing goes through the injected Signer behind a SignGuard.
 */
export class ConsensusEngine extends EngineCore {
  // ---------------------------------------------------------------- events

  /** Begin `height` (block store tip + 1); `restore` resumes after a crash. */
  start(height: number, set: ValidatorSet, lastCommitTime?: number, restore: RestoreState = {}): Action[] {
    return this.run(() => {
      this.future = new FutureMessages(Math.max(8, Math.ceil(this.opts.maxFutureMessages / set.size)));
      if (lastCommitTime !== undefined) this.minTime = lastCommitTime + 1;
      this.lastCommit = restore.lastCommit;
      if (restore.signState) this.guard.observe(restore.signState);
      this.enterHeight(height, set);
      const resumed = restoreFromWal(this.restoreTarget(), restore.wal ?? [], height);
      if (resumed) this.resumeRound(resumed.round, resumed.step);
      else this.startRound(0);
    }, true);
  }

  /** A proposal whose signature and body the caller checked; `now` (our clock at arrival) enables the block-time rule. */
  proposal(p: Proposal, now?: number): Action[] {
    return this.run(() => this.onProposal(p, 'peer', now));
  }

  /** A vote whose signature the caller has verified against validator `validatorIndex`. */
  vote(v: Vote): Action[] {
    return this.run(() => this.onVote(v, 'peer'));
  }

  timeout(kind: TimeoutKind, height: number, round: number): Action[] {
    return this.run(() => {
      if (height !== this.height || round !== this.round) return;
      if (this.step === 'decided') {
        // Keep the tick alive until the commit lands: a failed commit needs it to fetch the block again.
        if (kind === 'rebroadcast') this.schedule('rebroadcast', round, this.opts.rebroadcastMs);
        return;
      }
      if (kind === 'heartbeat' && this.step === 'newRound') this.enterPropose(round);
      else if (kind === 'propose' && this.step === 'propose') this.signVote(VoteType.PREVOTE, null);
      else if (kind === 'prevote' && this.step === 'prevote') this.signVote(VoteType.PRECOMMIT, null);
      else if (kind === 'precommit') this.startRound(round + 1);
      else if (kind === 'rebroadcast') this.rebroadcast();
    });
  }

  /**
   * Result of validateProposal: valid only if execution succeeded and gave
   * `blockHash`; `time` is the block's time (for the block-time rule).
   */
  proposalValidated(height: number, _round: number, blockHash: Uint8Array, valid: boolean, time?: number): Action[] {
    return this.run(() => {
      if (height !== this.height) return;
      const e = this.hs.blocks.get(hashKey(blockHash));
      if (!e || e.status === 'valid' || e.status === 'invalid') return;
      e.status = valid ? 'valid' : 'invalid';
      if (time !== undefined) e.time = time;
      this.version++;
    });
  }

  blockBuilt(height: number, round: number, block: Uint8Array, blockHash: Uint8Array): Action[] {
    return this.run(() => {
      if (height !== this.height || round !== this.round || this.buildingRound !== round) return;
      if (this.step !== 'propose' || blockHash.length !== HASH_LEN) return;
      this.buildingRound = -1;
      this.hs.addBlock(blockHash, block, 'valid');
      this.propose(block, blockHash, -1);
    });
  }

  /** The driver applied our commit action; `nextSet` validates height + 1. */
  committed(height: number, nextSet: ValidatorSet, commitTime?: number): Action[] {
    return this.run(() => {
      if (height !== this.height || this.step !== 'decided') return;
      this.lastCommit = this.decision;
      if (commitTime !== undefined) this.minTime = Math.max(this.minTime, commitTime + 1);
      this.out.push({ type: 'walNewHeight', height: height + 1 });
      this.enterHeight(height + 1, nextSet);
      this.startRound(0);
      for (const m of this.future.take(this.height)) {
        if ('vote' in m) this.onVote(m.vote, 'peer');
        else this.onProposal(m.proposal, 'peer');
      }
    });
  }

  /**
   * The commit action for `height` failed: the executor refused the decided
   * block (a body that does not match its header, a root mismatch) or could
   * not write it. The decision stays a fact (its certificate is valid), but
   * the body is dropped and fetched again by sync; the engine must never
   * stay in 'decided' with nothing left to commit.
   */
  commitFailed(height: number, blockHash: Uint8Array): Action[] {
    return this.run(() => {
      const d = this.decision;
      if (height !== this.height || this.step !== 'decided' || !d || !equal(d.blockHash, blockHash)) return;
      const key = hashKey(blockHash);
      this.hs.blocks.delete(key);
      this.decision = undefined;
      this.step = this.stepBeforeDecision;
      this.missing = { round: d.round, key, hash: blockHash };
      this.syncAsked = false;
      this.askSync({ round: d.round, blockHash });
      this.version++;
    });
  }

  /**
   * A block fetched by sync with its certificate. The caller has checked
   * that the block hashes to cert.blockHash; the certificate is checked here.
   */
  synced(height: number, block: Uint8Array, cert: CommitCertificate): Action[] {
    return this.run(() => {
      if (height !== this.height || this.step === 'decided') return;
      if (!isValidCommit(cert, this.set, this.deps.verify, height)) return;
      this.decide(cert, block);
    });
  }

  txsAvailable(): Action[] {
    return this.run(() => {
      this.txs = true;
      if (this.step === 'newRound') this.enterPropose(this.round);
    });
  }

  /** Equivocation evidence found so far (bounded). */
  evidence(): readonly Action[] {
    return this.evidenceLog;
  }

  /** One-line state summary for simulator diagnostics. */
  describe(): string {
    const rs = this.hs.round(this.round);
    const pv = rs.prevotes
      .all()
      .map((v) => `${v.validatorIndex}:${v.blockHash ? hashKey(v.blockHash).slice(0, 6) : 'nil'}`);
    const pc = rs.precommits
      .all()
      .map((v) => `${v.validatorIndex}:${v.blockHash ? hashKey(v.blockHash).slice(0, 6) : 'nil'}`);
    return `h=${this.height} r=${this.round} ${this.step} locked=${this.lockedRound} valid=${this.validRound} props=${rs.proposals.length} pv=[${pv}] pc=[${pc}] maxRoundOf=${this.hs.maxRoundOf}`;
  }

  get validatorIndex(): number {
    return this.myIndex;
  }

  private run(fn: () => void, isStart = false): Action[] {
    // Events before start() have no height to apply to.
    if (!isStart && this.hs === undefined) return [];
    this.out = [];
    fn();
    this.settle();
    const out = this.out;
    this.out = [];
    return out;
  }

  // ------------------------------------------------------------ rounds

  private startRound(r: number): void {
    this.round = r;
    this.buildingRound = -1;
    this.version++;
    this.schedule('rebroadcast', r, this.opts.rebroadcastMs);
    // Round 0 waits for transactions (or the heartbeat) instead of spinning out empty blocks.
    if (r === 0 && this.opts.emptyBlockIntervalMs > 0 && !this.txs) {
      this.step = 'newRound';
      this.schedule('heartbeat', 0, this.opts.emptyBlockIntervalMs);
      return;
    }
    this.enterPropose(r);
  }

  private enterPropose(r: number): void {
    this.step = 'propose';
    this.version++;
    this.schedule('propose', r, roundTimeout(this.opts, 'propose', r));
    if (this.myIndex < 0 || this.set.proposer(this.height, r) !== this.myIndex) return;
    if (this.hs.round(r).ownProposal) return;
    const valid = this.validHash && !this.noLocking ? this.hs.blocks.get(hashKey(this.validHash)) : undefined;
    // Re-propose the value a polka made valid, so locked validators can accept it.
    if (valid && this.validHash) {
      this.propose(valid.block, this.validHash, this.validRound);
      return;
    }
    this.buildingRound = r;
    this.out.push({ type: 'buildBlock', height: this.height, round: r, minTime: this.minTime });
  }

  private resumeRound(r: number, step: EngineStep): void {
    this.round = r;
    this.step = step;
    this.version++;
    this.schedule('rebroadcast', r, this.opts.rebroadcastMs);
    if (step === 'propose') this.schedule('propose', r, roundTimeout(this.opts, 'propose', r));
    this.resendOwn(this.hs.round(r));
  }

  private rebroadcast(): void {
    this.helped = false;
    this.syncAsked = false;
    const rs = this.hs.round(this.round);
    this.resendOwn(rs);
    // Relay the precommit quorum that ended the previous round, so validators
    // that missed it can follow us into this one.
    const prev = this.round > 0 ? this.hs.peek(this.round - 1) : undefined;
    if (prev && prev.precommits.totalVoted >= this.quorum())
      for (const v of prev.precommits.all()) this.out.push({ type: 'broadcastVote', vote: v });
    if (this.missing) this.askSync({ round: this.missing.round, blockHash: this.missing.hash });
    else if (this.future.powerAtOrAbove(this.height + 1, (i) => this.set.power(i)) >= this.set.oneThird)
      this.askSync({ height: this.future.highest() });
    this.schedule('rebroadcast', this.round, this.opts.rebroadcastMs);
  }

  // ------------------------------------------------------------ rules

  private settle(): void {
    for (let i = 0; i < 64; i++) {
      if (this.step === 'idle' || this.step === 'decided') return;
      const v = this.version;
      for (const r of this.commitRounds) this.tryCommit(r);
      this.commitRounds.clear();
      if (this.missing) this.tryCommit(this.missing.round);
      this.tryCommit(this.round);
      this.trySkip();
      this.checkRound();
      if (this.version === v) return;
    }
  }

  /** Upon f+1 messages from a higher round: start that round. */
  private trySkip(): void {
    const target = this.hs.skipTarget(this.round);
    if (target <= this.round) return;
    for (let r = this.round + 1; r <= target; r++) this.tryCommit(r);
    if (this.step !== 'decided') this.startRound(target);
  }

  /** Upon PROPOSAL(v) and 2f+1 PRECOMMIT(round, id(v)) in any round: decide v. */
  private tryCommit(round: number): void {
    if (this.step === 'decided') return;
    const rs = this.hs.peek(round);
    const key = rs?.precommits.quorumKey(this.quorum());
    if (!rs || key === undefined || key === NIL_KEY) return;
    const votes = rs.precommits.votesFor(key);
    const hash = (votes[0] as Vote).blockHash as Uint8Array;
    const block = this.hs.blocks.get(key);
    if (!block) {
      if (!this.missing) {
        this.missing = { round, key, hash };
        this.askSync({ round, blockHash: hash });
      }
      return;
    }
    this.decide(certificateFromVotes(this.height, round, hash, votes), block.block);
  }

  private decide(cert: CommitCertificate, block: Uint8Array): void {
    this.stepBeforeDecision = this.step;
    this.step = 'decided';
    this.decision = cert;
    this.missing = undefined;
    this.version++;
    this.out.push({ type: 'commit', height: this.height, round: cert.round, block, cert });
  }

  private checkRound(): void {
    const r = this.round;
    const rs = this.hs.round(r);
    const q = this.quorum();
    if (this.step === 'newRound') {
      // Someone proposed, or f+1 are already voting: stop waiting for transactions.
      if (rs.proposals.length > 0 || rs.prevotes.totalVoted >= this.set.oneThird) this.enterPropose(r);
      else return;
    }
    if (this.step === 'propose') this.proposeStep(rs, q);
    if (this.step === 'prevote' && !rs.prevoteTimeoutScheduled && rs.prevotes.totalVoted >= q) {
      rs.prevoteTimeoutScheduled = true;
      this.schedule('prevote', r, roundTimeout(this.opts, 'prevote', r));
    }
    if ((this.step === 'prevote' || this.step === 'precommit') && !rs.polkaHandled) this.polka(rs, q);
    if (this.step === 'prevote' && rs.prevotes.powerFor(NIL_KEY) >= q) this.signVote(VoteType.PRECOMMIT, null);
    if (!rs.precommitTimeoutScheduled && rs.precommits.totalVoted >= q) {
      rs.precommitTimeoutScheduled = true;
      this.schedule('precommit', r, roundTimeout(this.opts, 'precommit', r));
    }
  }

  /** Prevote for the round's proposal if valid and compatible with our lock; nil otherwise. */
  private proposeStep(rs: RoundState, q: number): void {
    const p = rs.proposals[0];
    if (!p) return;
    const locked = this.noLocking ? -1 : this.lockedRound;
    const lockedOnIt = this.lockedHash !== null && equal(this.lockedHash, p.blockHash);
    let acceptable: boolean;
    if (p.polRound === -1) acceptable = locked === -1 || lockedOnIt;
    else {
      const pol = this.hs.peek(p.polRound)?.prevotes.powerFor(hashKey(p.blockHash)) ?? 0;
      if (pol < q) return; // wait for the proof of lock; the timeout prevotes nil
      // A polka later than our lock unlocks us.
      acceptable = locked <= p.polRound || lockedOnIt;
    }
    if (!acceptable) {
      this.signVote(VoteType.PREVOTE, null);
      return;
    }
    const e = this.hs.blocks.get(hashKey(p.blockHash)) as BlockEntry;
    const status = this.ensureValidation(e);
    if (status === 'valid') this.signVote(VoteType.PREVOTE, this.timely(e, p.polRound, rs) ? p.blockHash : null);
    else if (status === 'invalid') this.signVote(VoteType.PREVOTE, null);
  }

  /**
   * The block-time rule for prevotes: after the previous block, and for a
   * fresh proposal within maxClockDriftMs of our clock at its arrival, either
   * way. Both bounds come from one option; unknown times are not judged.
   */
  private timely(e: BlockEntry, polRound: number, rs: RoundState): boolean {
    if (e.time === undefined) return true;
    if (e.time < this.minTime) return false;
    const drift = this.opts.maxClockDriftMs;
    if (polRound >= 0 || drift === undefined || rs.proposalAt === undefined) return true;
    return e.time <= rs.proposalAt + drift && e.time >= rs.proposalAt - drift;
  }

  /** Upon PROPOSAL(v) and 2f+1 PREVOTE(round, id(v)), valid(v), first time: lock (if in prevote) and remember v. */
  private polka(rs: RoundState, q: number): void {
    const key = rs.prevotes.quorumKey(q);
    if (key === undefined || key === NIL_KEY) return;
    const e = this.hs.blocks.get(key);
    if (!e || this.ensureValidation(e) !== 'valid') return;
    rs.polkaHandled = true;
    this.version++;
    if (this.noLocking) {
      if (this.step === 'prevote') this.signVote(VoteType.PRECOMMIT, e.hash);
      return;
    }
    this.validRound = this.round;
    this.validHash = e.hash;
    if (this.step === 'prevote') {
      this.lockedRound = this.round;
      this.lockedHash = e.hash;
      this.signVote(VoteType.PRECOMMIT, e.hash);
    }
  }

  // ------------------------------------------------------------ restore

  /** The narrow view restore.ts needs to rebuild a height from the WAL. */
  private restoreTarget() {
    return {
      hs: this.hs,
      guard: this.guard,
      myIndex: this.myIndex,
      setLock: (l: LockInfo) => {
        this.lockedRound = l.lockedRound;
        this.lockedHash = l.lockedHash;
        // validRound >= lockedRound always holds, so the lock is a sound valid
        // value; without it a restarted locked proposer could never re-propose.
        this.validRound = l.lockedRound;
        this.validHash = l.lockedHash;
      },
      accept: (e: WalEntry) => {
        const from: Source = e.own ? 'own' : 'wal';
        if (e.kind === 'proposal') this.onProposal(e.proposal, from);
        else this.onVote(e.vote, from);
      },
    };
  }
}
