import { readU64be, u64be } from '../src/codec/bytes.js';
import { mapKey } from './exec/keys.js';
import { type BatchOp, type Db, dbKey, Prefix, prefixEnd } from './store/db.js';

const BUCKET_MS = 1000;

/**
 * Hashes of included transactions that have not expired yet. A transaction
 * can only be included while block time <= expiresAt, and stays here until
 * then, so no transaction is ever included twice: replay protection without
 * per-sender nonces. Persisted with each block; pruned by block time.
 */
export class ReplaySet {
  private readonly live = new Map<string, number>();
  /** expiresAt bucket (s) -> hashes, so pruning never scans the whole set. */
  private readonly buckets = new Map<number, Uint8Array[]>();

  static async load(db: Db, now: number): Promise<ReplaySet> {
    const set = new ReplaySet();
    const start = dbKey(Prefix.REPLAY, u64be(now));
    for await (const key of db.keys({ gte: start, lt: prefixEnd(new Uint8Array([Prefix.REPLAY])) })) {
      set.remember(key.subarray(9), readU64be(key, 1));
    }
    return set;
  }

  get size(): number {
    return this.live.size;
  }

  has(hash: Uint8Array): boolean {
    return this.live.has(mapKey(hash));
  }

  /** Batch ops for a committed block: add its txs, drop what expired before `time`. */
  commitOps(ops: BatchOp[], txs: ReadonlyArray<{ hash: Uint8Array; expiresAt: number }>, time: number): void {
    for (const t of txs)
      ops.push({ type: 'put', key: dbKey(Prefix.REPLAY, u64be(t.expiresAt), t.hash), value: new Uint8Array(0) });
    for (const [bucket, hashes] of this.buckets) {
      if ((bucket + 1) * BUCKET_MS > time) continue;
      for (const h of hashes) {
        const exp = this.live.get(mapKey(h));
        if (exp !== undefined && exp < time) ops.push({ type: 'del', key: dbKey(Prefix.REPLAY, u64be(exp), h) });
      }
    }
  }

  /** Applies a committed block to memory (after its batch is durable). */
  advance(txs: ReadonlyArray<{ hash: Uint8Array; expiresAt: number }>, time: number): void {
    for (const t of txs) this.remember(t.hash, t.expiresAt);
    for (const [bucket, hashes] of this.buckets) {
      if ((bucket + 1) * BUCKET_MS > time) continue;
      for (const h of hashes) {
        const k = mapKey(h);
        const exp = this.live.get(k);
        if (exp !== undefined && exp < time) this.live.delete(k);
      }
      this.buckets.delete(bucket);
    }
  }

  private remember(hash: Uint8Array, expiresAt: number): void {
    this.live.set(mapKey(hash), expiresAt);
    const b = Math.floor(expiresAt / BUCKET_MS);
    let list = this.buckets.get(b);
    if (list === undefined) {
      list = [];
      this.buckets.set(b, list);
    }
    list.push(hash);
  }
}
