/**
 * One vocabulary for every untrusted gossip message: a validator answers
 * 'accept' or the reason it does not; the verdict, and so the sender's
 * penalty, follows from the reason (lodestar's gossip validation, Lisk's
 * applyPenaltyOnPeer). Validators run the same pipeline, cheapest first:
 * size limit → bounded decode (once) → seen-cache → stateless → stateful →
 * signatures, and say at each check which rule it enforces.
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

/** What a topic validator answers. */
export type Validation = 'accept' | GossipReason;

const REJECTED = new Set<string>([
  GossipReason.TOO_LARGE,
  GossipReason.MALFORMED,
  GossipReason.WRONG_SIGNER,
  GossipReason.BAD_BODY,
  GossipReason.BAD_SIGNATURE,
  GossipReason.INVALID_TX,
]);

export function verdictOf(v: Validation): 'accept' | 'ignore' | 'reject' {
  if (v === 'accept') return 'accept';
  return REJECTED.has(v) ? 'reject' : 'ignore';
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
