import type { RateLimitOptions } from './options.js';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per client key, refilled lazily on use. The map is bounded: when full, buckets
 * that have refilled completely (idle clients) go first, then the oldest.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.perMs = opts.perSecond / 1000;
  }

  take(key: string, n: number): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.opts.maxClients) this.evict(t);
      b = { tokens: this.opts.burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + (t - b.at) * this.perMs);
      b.at = t;
    }
    if (b.tokens < n) return false;
    b.tokens -= n;
    return true;
  }

  /** Milliseconds until `key` has n tokens again (for Retry-After). */
  retryAfterMs(key: string, n = 1): number {
    const b = this.buckets.get(key);
    if (b === undefined || this.perMs === 0) return b === undefined ? 0 : Number.POSITIVE_INFINITY;
    return Math.max(0, Math.ceil((n - b.tokens) / this.perMs));
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.perMs >= this.opts.burst) this.buckets.delete(k);
    }
    if (this.buckets.size < this.opts.maxClients) return;
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}

/**
 * The rate-limit key of an address: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64,
 * since one host commonly holds a whole /64.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
