import type { Proposal, Vote } from './types.js';

export type FutureMessage = { proposal: Proposal } | { vote: Vote };

const heightOf = (m: FutureMessage): number => ('vote' in m ? m.vote.height : m.proposal.height);
const senderOf = (m: FutureMessage): number => ('vote' in m ? m.vote.validatorIndex : m.proposal.proposerIndex);

/**
 * Messages for the next height, held while this one finishes (bounded per
 * sender, so one validator cannot crowd out the others), and the highest
 * height each sender has been seen at, which tells when the network is ahead.
 * Senders are indexes into the current set: for later heights that is a hint,
 * good enough to decide to ask for blocks (which come with certificates).
 */
export class FutureMessages {
  private items: FutureMessage[] = [];
  private readonly count = new Map<number, number>();
  private readonly maxHeightOf = new Map<number, number>();

  constructor(private readonly capPerSender: number) {}

  add(m: FutureMessage, currentHeight: number): void {
    const h = heightOf(m);
    const s = senderOf(m);
    if (h > (this.maxHeightOf.get(s) ?? -1)) this.maxHeightOf.set(s, h);
    // Only the next height is worth keeping; beyond it we need blocks, not votes.
    if (h !== currentHeight + 1) return;
    const n = this.count.get(s) ?? 0;
    if (n >= this.capPerSender) return;
    this.count.set(s, n + 1);
    this.items.push(m);
  }

  /** Removes and returns the messages for `height`; older ones are dropped. */
  take(height: number): FutureMessage[] {
    const now = this.items.filter((m) => heightOf(m) === height);
    this.items = [];
    this.count.clear();
    return now;
  }

  /** Power of senders seen at a height >= minHeight. */
  powerAtOrAbove(minHeight: number, power: (i: number) => number): number {
    let p = 0;
    for (const [s, h] of this.maxHeightOf) if (h >= minHeight) p += power(s);
    return p;
  }

  highest(): number {
    let m = -1;
    for (const h of this.maxHeightOf.values()) if (h > m) m = h;
    return m;
  }
}
