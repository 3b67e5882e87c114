import { alloc } from '../smt/node.js';

export { hashKey } from '../smt/hash.js';

/** Heap bytes per entry besides the node's own: key string, typed-array view, Map slot (measured: ~193). */
const ENTRY_OVERHEAD = 192;

/** Hits and misses since the cache was made: the bench's growth curve reports the hit rate. */
export interface NodeCacheStats {
  hits: number;
  misses: number;
  bytes: number;
  entries: number;
}

/**
 * Tree node bytes by hash, bounded in bytes, in two generations: reads check young then old;
 * a hit in old moves the entry to young; when young is full, old is dropped. O(1) eviction,
 * and the nodes read since the last flip survive it (the working set, if it fits in one half).
 *
 * Bytes are copied into the slab when they enter from the store or move generations, so each
 * generation's nodes share slabs that are freed with it, and a LevelDB read's own buffer dies young.
 */
export class NodeCache {
  private young = new Map<string, Uint8Array>();
  private old = new Map<string, Uint8Array>();
  private youngBytes = 0;
  private oldBytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes: number) {}

  get(k: string): Uint8Array | undefined {
    const y = this.young.get(k);
    if (y !== undefined) {
      this.hits++;
      return y;
    }
    const o = this.old.get(k);
    if (o === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.old.delete(k);
    this.oldBytes -= o.length + ENTRY_OVERHEAD;
    return this.set(k, o, true);
  }

  delete(k: string): void {
    const y = this.young.get(k);
    if (y !== undefined) {
      this.young.delete(k);
      this.youngBytes -= y.length + ENTRY_OVERHEAD;
    }
    const o = this.old.get(k);
    if (o !== undefined) {
      this.old.delete(k);
      this.oldBytes -= o.length + ENTRY_OVERHEAD;
    }
  }

  /** Keeps v (copied when `copy`: bytes that outlive the slab they came from); returns what is kept. */
  set(k: string, v: Uint8Array, copy: boolean): Uint8Array {
    const size = v.length + ENTRY_OVERHEAD;
    if (this.youngBytes + size > this.maxBytes / 2) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
    let kept = v;
    if (copy) {
      kept = alloc(v.length);
      kept.set(v);
    }
    const prev = this.young.get(k);
    if (prev !== undefined) this.youngBytes -= prev.length + ENTRY_OVERHEAD;
    this.young.set(k, kept);
    this.youngBytes += size;
    return kept;
  }

  stats(): NodeCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      bytes: this.youngBytes + this.oldBytes,
      entries: this.young.size + this.old.size,
    };
  }
}
