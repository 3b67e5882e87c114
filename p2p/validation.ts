/**
 * One vocabulary for every untrusted message from a peer (gossip and sync
 * responses): a validator answers 'accept' or the coded reason it does not;
 * the verdict (accept/ignore/reject), and so the sender's penalty, follows
 * from the reason (lodestar's gossip validation, Lisk's applyPenaltyOnPeer).
 * Validators run the same pipeline, cheapest first: size limit → bounded
 * decode (once) → seen-cache → stateless → stateful → signatures, and say at
 * each check which rule it enforces.
 */
export const GossipReason = {
  // [IGNORE] nothing new, or not provably the sender's fault.
  /** Already accepted (a re-sealed copy, a tx we hold): not verified or forwarded again. */
  DUPLICATE: 'GOSSIP_DUPLICATE',
  /** A height we are past or too far ahead of. */
  OUTSIDE_WINDOW: 'GOSSIP_OUTSIDE_WINDOW',
  /** A later height whose validator set we cannot know yet. */
  UNJUDGEABLE: 'GOSSIP_UNJUDGEABLE',
  /** Dropped unjudged: as many messages of this topic are being validated as we allow (lodestar's gossip queues). */
  BUSY: 'GOSSIP_BUSY',
  /** Well-formed and signed, but not admitted here (pool full, sender quota, expiry by our clock). */
  NOT_ADMITTED: 'GOSSIP_NOT_ADMITTED',
  // [REJECT] no honest node forwards this.
  TOO_LARGE: 'GOSSIP_TOO_LARGE',
  MALFORMED: 'GOSSIP_MALFORMED',
  /** A signer index outside the set, or not the proposer of that round. */
  WRONG_SIGNER: 'GOSSIP_WRONG_SIGNER',
  /** A proposal whose block body does not match the hash it signs. */
  BAD_BODY: 'GOSSIP_BAD_BODY',
  BAD_SIGNATURE: 'GOSSIP_BAD_SIGNATURE',
  /** A tx that no honest node admits (malformed, another chain, bad signature). */
  INVALID_TX: 'GOSSIP_INVALID_TX',
} as const;
export type GossipReason = (typeof GossipReason)[keyof typeof GossipReason];

/**
 * Why a sync response was refused: all [REJECT], since the peer answered our
 * request with data no honest node serves (SyncErrorCode.BAD_RESPONSE, the
 * reason in `meta.reason`). Sync has no ignore: a peer with nothing to give
 * answers with fewer blocks, which is not an error.
 */
export const SyncReason = {
  /** Not the canonical, bounded encoding of at most the blocks asked for. */
  MALFORMED: 'SYNC_MALFORMED',
  /** A certificate that does not decode (canonical, bounded). */
  CERT_MALFORMED: 'SYNC_CERT_MALFORMED',
  /** A certificate for another height than the block it came with. */
  CERT_WRONG_HEIGHT: 'SYNC_CERT_WRONG_HEIGHT',
  /** A body that does not match its header, or a header that is not the certified one. */
  BAD_BLOCK: 'SYNC_BAD_BLOCK',
  /** A certificate whose signatures do not hold for the validator set. */
  BAD_CERT: 'SYNC_BAD_CERT',
} as const;
export type SyncReason = (typeof SyncReason)[keyof typeof SyncReason];

/** Any refusal of a peer's message. */
export type Reason = GossipReason | SyncReason;

/** What a topic validator answers. */
export type Validation = 'accept' | GossipReason;

export type Verdict = 'accept' | 'ignore' | 'reject';

/**
 * The penalty of each rejected reason, in units of `rejectPenalty`. A bad
 * sync response weighs more than one gossip message: it answered a request
 * of ours and may have cost a block's re-execution.
 */
const REJECT_WEIGHT: Partial<Record<Reason, number>> = {
  [GossipReason.TOO_LARGE]: 1,
  [GossipReason.MALFORMED]: 1,
  [GossipReason.WRONG_SIGNER]: 1,
  [GossipReason.BAD_BODY]: 1,
  [GossipReason.BAD_SIGNATURE]: 1,
  [GossipReason.INVALID_TX]: 1,
  [SyncReason.MALFORMED]: 5,
  [SyncReason.CERT_MALFORMED]: 5,
  [SyncReason.CERT_WRONG_HEIGHT]: 5,
  [SyncReason.BAD_BLOCK]: 5,
  [SyncReason.BAD_CERT]: 5,
};

export function verdictOf(v: 'accept' | Reason): Verdict {
  if (v === 'accept') return 'accept';
  return REJECT_WEIGHT[v] === undefined ? 'ignore' : 'reject';
}

/** What a refusal costs the peer that sent the message: ignored ones `ignorePenalty`, rejected ones by weight. */
export function penaltyOf(reason: Reason, p: { rejectPenalty: number; ignorePenalty: number }): number {
  const w = REJECT_WEIGHT[reason];
  return w === undefined ? p.ignorePenalty : w * p.rejectPenalty;
}

/**
 * Keys of messages already judged, with what was found, so a copy costs a
 * hash, not a signature check. Bounded (oldest forgotten first); entries
 * expire after `ttlMs`, so a copy re-sent after that (how a healed partition
 * catches up) is verified and forwarded once more. `ttlMs` 0: no expiry.
 */
export class SeenCache<V = true> {
  private readonly entries = new Map<string, { at: number; value: V }>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (this.ttlMs > 0 && this.now() - e.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  add(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { at: this.now(), value });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}
