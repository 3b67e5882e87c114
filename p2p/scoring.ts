import { penaltyOf, type Reason } from './validation.js';

export interface PeerScorerOptions {
  rejectPenalty: number;
  ignorePenalty: number;
  /** At or below this score the peer is banned and disconnected. */
  banThreshold: number;
  banMs: number;
  scoreHalfLifeMs: number;
}

export interface PeerScorerDeps {
  now(): number;
  /** Refuse the peer for `ms` (the gater), called before `disconnect` so it cannot slip back in. */
  ban(peerId: string, ms: number): void;
  disconnect(peerId: string): void;
  onBan?(peerId: string, score: number): void;
}

interface Entry {
  score: number;
  at: number;
}

/** Entries decayed to within this of 0 are forgotten, which keeps the map bounded by recent offenders. */
const FORGET_BELOW = 0.5;
const SWEEP_SIZE = 1024;

/**
 * Application-level peer score (lodestar/Lisk `applyPenaltyOnPeer`): every
 * rejected gossip message costs its sender `rejectPenalty`; penalties fade
 * with a half-life; at `banThreshold` the peer is banned and disconnected.
 * Scores outlive connections, so reconnecting does not wipe a record.
 */
export class PeerScorer {
  private readonly scores = new Map<string, Entry>();

  constructor(
    private readonly opts: PeerScorerOptions,
    private readonly deps: PeerScorerDeps,
  ) {}

  score(peerId: string): number {
    const e = this.scores.get(peerId);
    return e === undefined ? 0 : this.decayed(e, this.deps.now());
  }

  /** A message refused for `reason`: the penalty follows from the reason (penaltyOf). */
  onRefused(peerId: string, reason: Reason): void {
    const amount = penaltyOf(reason, this.opts);
    if (amount > 0) this.penalise(peerId, amount);
  }

  onReject(peerId: string): void {
    this.penalise(peerId, this.opts.rejectPenalty);
  }

  onIgnore(peerId: string): void {
    if (this.opts.ignorePenalty > 0) this.penalise(peerId, this.opts.ignorePenalty);
  }

  /** Lowers the peer's score by `amount` (> 0); bans at the threshold. Returns the new score. */
  penalise(peerId: string, amount: number): number {
    const now = this.deps.now();
    const e = this.scores.get(peerId);
    const score = (e === undefined ? 0 : this.decayed(e, now)) - amount;
    if (score <= this.opts.banThreshold) {
      // Start clean after the ban: the ban itself was the punishment.
      this.scores.delete(peerId);
      this.deps.ban(peerId, this.opts.banMs);
      this.deps.onBan?.(peerId, score);
      this.deps.disconnect(peerId);
      return score;
    }
    this.scores.set(peerId, { score, at: now });
    if (this.scores.size > SWEEP_SIZE) this.sweep(now);
    return score;
  }

  private decayed(e: Entry, now: number): number {
    const dt = now - e.at;
    return dt <= 0 ? e.score : e.score * 0.5 ** (dt / this.opts.scoreHalfLifeMs);
  }

  private sweep(now: number): void {
    for (const [id, e] of this.scores) if (Math.abs(this.decayed(e, now)) < FORGET_BELOW) this.scores.delete(id);
  }
}
