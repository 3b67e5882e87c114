/**
 * Token buckets per key (client address or identity), refilled lazily on use; the table is
 * bounded (full buckets, i.e. idle clients, go first, then the oldest), so a flood of distinct
 * keys costs memory once.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {
    this.burst = Math.max(1, perSecond * 2);
  }

  /** Takes one token for `key`; false when it has none (or the limit is off: always true). */
  take(key: string): boolean {
    if (this.perSecond <= 0) return true;
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evict(t);
      b = { tokens: this.burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) * this.perSecond) / 1000);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private evict(t: number): void {
    for (const [k, b] of this.buckets)
      if (b.tokens + ((t - b.at) * this.perSecond) / 1000 >= this.burst) this.buckets.delete(k);
    if (this.buckets.size < this.maxKeys) return;
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}
