import { equal } from '../src/codec/bytes.js';
import { mapKey } from './exec/keys.js';
import { decodeInner, EMPTY_ROOT } from './smt/node.js';
import { type Db, dbKey, Prefix, prefixEnd } from './store/db.js';

/**
 * Tree nodes are content-addressed and never overwritten, so superseded ones
 * pile up. A sweep keeps every node reachable from the roots still served
 * (the last `keep` blocks, for historical proofs) and deletes the rest.
 * It iterates a LevelDB snapshot, and nodes that commits (re)write while it
 * runs are never deleted: a node that becomes live again mid-sweep survives.
 */
export interface PruneResult {
  live: number;
  deleted: number;
}

export class NodePruner {
  private written: Set<string> | null = null;

  constructor(
    private readonly db: Db,
    /** Runs `fn` exclusively with block commits, so a delete never races a commit that re-writes the node. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  get running(): boolean {
    return this.written !== null;
  }

  /** Called by the commit path with the node hashes of each committed block. */
  noteWritten(hashes: Iterable<Uint8Array>): void {
    if (this.written === null) return;
    for (const h of hashes) this.written.add(mapKey(h));
  }

  /**
   * `roots` is called only once commits are being tracked: a block committed
   * while the roots are gathered is either among them or in the written set.
   */
  async sweep(roots: () => Promise<readonly Uint8Array[]>): Promise<PruneResult> {
    if (this.written !== null) throw new Error('a sweep is already running');
    this.written = new Set();
    try {
      const kept = await roots();
      // Take the snapshot before marking: anything written after it is out of the sweep's reach.
      const it = this.db.keys({ gte: new Uint8Array([Prefix.NODE]), lt: prefixEnd(new Uint8Array([Prefix.NODE])) });
      const live = await this.mark(kept);
      let deleted = 0;
      let batch: Array<{ type: 'del'; key: Uint8Array }> = [];
      const flush = async (): Promise<void> => {
        const pending = batch;
        batch = [];
        await this.exclusive(async () => {
          // Re-check at delete time: a commit may have re-written a node since the snapshot.
          const ops = pending.filter((op) => !this.written?.has(mapKey(op.key.subarray(1))));
          if (ops.length > 0) await this.db.batch(ops);
          deleted += ops.length;
        });
      };
      for await (const key of it) {
        if (live.has(mapKey(key.subarray(1)))) continue;
        batch.push({ type: 'del', key: key.slice() });
        if (batch.length >= 10_000) await flush();
      }
      await flush();
      return { live: live.size, deleted };
    } finally {
      this.written = null;
    }
  }

  /** Every inner node reachable from `roots` (breadth-first, batched reads). */
  private async mark(roots: readonly Uint8Array[]): Promise<Set<string>> {
    const live = new Set<string>();
    let frontier = roots.filter((r) => !equal(r, EMPTY_ROOT));
    while (frontier.length > 0) {
      const todo = frontier.filter((h) => {
        const k = mapKey(h);
        if (live.has(k)) return false;
        live.add(k);
        return true;
      });
      const next: Uint8Array[] = [];
      for (let i = 0; i < todo.length; i += 10_000) {
        const chunk = todo.slice(i, i + 10_000);
        const values = await this.db.getMany(chunk.map((h) => dbKey(Prefix.NODE, h)));
        for (let j = 0; j < chunk.length; j++) {
          const bytes = values[j];
          if (bytes === undefined) continue; // pruned before (an old root): nothing below it to keep
          for (const c of decodeInner(chunk[j] as Uint8Array, bytes).children)
            if (c !== undefined && c.kind === 3) next.push(c.hash.slice());
        }
      }
      frontier = next;
    }
    return live;
  }
}
