import type { StagedState } from './exec/executor.js';
import { mapKey as latin1 } from './exec/keys.js';
import type { StateChange } from './exec/view.js';
import { sha256Bytes } from './smt/hash.js';
import { alloc } from './smt/node.js';
import type { SmtProof } from './smt/proof.js';
import { defaultSmtOptions, type NodeSource, type SmtOptions, SparseMerkleTree } from './smt/tree.js';
import { type BatchOp, type Db, Prefix } from './store/db.js';
import { hashKey, NodeCache, type NodeCacheStats } from './store/node-cache.js';

export interface StateStoreOptions {
  /** Bounded cache of current values, keyed by state key. */
  valueCacheEntries: number;
  /** Bounded cache of tree node bytes (heap bytes, overhead included), in two halves. */
  nodeCacheBytes: number;
  smt: SmtOptions;
}

export const defaultStateStoreOptions: StateStoreOptions = {
  valueCacheEntries: 200_000,
  // The 1M-key tree is ~320k nodes, ~140 MB with overhead; at 64 MB every update and proof
  // missed into LevelDB at the deepest levels (issue 18: 15 % of the 1M-key profile).
  nodeCacheBytes: 256 * 1024 * 1024,
  smt: defaultSmtOptions,
};

/** Defined where execution produces them (state/exec), so exec never imports this folder. */
export type { StagedState, StateChange };

/**
 * Current state values ('v' + sha256(key)) plus the authenticated tree over
 * them. Reads are synchronous (cache, then LevelDB getSync) so the state
 * machine never awaits per key on the hot path.
 */
export class StateStore implements NodeSource {
  readonly tree: SparseMerkleTree;
  // Two generations: reads check young then old; when young is full, old is dropped.
  // O(1) eviction with LRU-like behaviour (hot keys are promoted into young).
  private young = new Map<string, Uint8Array | null>();
  private old = new Map<string, Uint8Array | null>();
  private readonly nodes: NodeCache;
  /** Commits so far, and which one last wrote each key while prefetches are in flight. */
  private version = 0;
  private readonly lastWrite = new Map<string, number>();
  private prefetching = 0;

  constructor(
    private readonly db: Db,
    rootHash: Uint8Array,
    private readonly opts: StateStoreOptions = defaultStateStoreOptions,
  ) {
    this.nodes = new NodeCache(opts.nodeCacheBytes);
    this.tree = SparseMerkleTree.open(this, rootHash, opts.smt);
  }

  get root(): Uint8Array {
    return this.tree.rootHash;
  }

  getNode(hash: Uint8Array): Uint8Array | undefined {
    const k = hashKey(hash);
    const hit = this.nodes.get(k);
    if (hit !== undefined) return hit;
    const bytes = this.db.getSync(slabKey(Prefix.NODE, hash));
    return bytes === undefined ? undefined : this.nodes.set(k, bytes, true);
  }

  /** The node cache's hits, misses and size (bench: the growth curve's cache reach). */
  nodeCacheStats(): NodeCacheStats {
    return this.nodes.stats();
  }

  /** The committed value of `key`, or undefined. */
  get(key: Uint8Array, mapKey?: string): Uint8Array | undefined {
    const ck = mapKey ?? latin1(key);
    const hit = this.young.get(ck);
    if (hit !== undefined) return hit ?? undefined;
    const aged = this.old.get(ck);
    if (aged !== undefined) {
      this.remember(ck, aged);
      return aged ?? undefined;
    }
    const v = this.db.getSync(slabKey(Prefix.VALUE, sha256Bytes(key))) ?? null;
    this.remember(ck, v);
    return v ?? undefined;
  }

  /** Computes the root after `changes` without touching committed state. */
  stage(changes: readonly StateChange[]): StagedState {
    const keyHashes = changes.map((c) => sha256Bytes(c.key));
    const smt = this.tree.stage(
      changes.map((c, i) => ({
        keyHash: keyHashes[i] as Uint8Array,
        valueHash: c.value === null ? null : sha256Bytes(c.value),
      })),
    );
    return { changes, keyHashes, smt, root: smt.rootHash };
  }

  /** The LevelDB operations that persist a staged state (added to the block's one batch). */
  writeOps(staged: StagedState, ops: BatchOp[]): void {
    for (let i = 0; i < staged.changes.length; i++) {
      const c = staged.changes[i] as StateChange;
      const k = slabKey(Prefix.VALUE, staged.keyHashes[i] as Uint8Array);
      ops.push(c.value === null ? { type: 'del', key: k } : { type: 'put', key: k, value: c.value });
    }
    for (const [h, bytes] of staged.smt.writes) ops.push({ type: 'put', key: slabKey(Prefix.NODE, h), value: bytes });
  }

  /** Makes a staged state current, after its batch is durable. */
  advance(staged: StagedState): void {
    this.tree.advance(staged.smt);
    this.version++;
    // Rewritten nodes first (an unchanged one is rewritten with its own hash): the cache keeps live nodes.
    for (const h of staged.smt.replaced) this.nodes.delete(hashKey(h));
    for (const [h, bytes] of staged.smt.writes) this.nodes.set(hashKey(h), bytes, false);
    for (const c of staged.changes) {
      const k = latin1(c.key);
      this.remember(k, c.value);
      if (this.prefetching > 0) this.lastWrite.set(k, this.version);
    }
  }

  /**
   * Warms the value cache for `keys` with one batched LevelDB read off the
   * main thread (e.g. a transaction's read set at admission, long before its
   * block executes), so execution does not miss one key at a time. A value
   * read before a later commit wrote its key is discarded, never cached.
   */
  async prefetch(keys: readonly Uint8Array[]): Promise<void> {
    const todo: string[] = [];
    const seen = new Set<string>();
    const dbKeys: Uint8Array[] = [];
    for (const key of keys) {
      const k = latin1(key);
      if (this.young.has(k) || this.old.has(k) || seen.has(k)) continue;
      seen.add(k);
      todo.push(k);
      dbKeys.push(slabKey(Prefix.VALUE, sha256Bytes(key)));
    }
    if (todo.length === 0) return;
    const start = this.version;
    this.prefetching++;
    try {
      const values = await this.db.getMany(dbKeys);
      for (let i = 0; i < todo.length; i++) {
        const k = todo[i] as string;
        if ((this.lastWrite.get(k) ?? -1) > start || this.young.has(k) || this.old.has(k)) continue;
        this.remember(k, values[i] ?? null);
      }
    } finally {
      if (--this.prefetching === 0) this.lastWrite.clear();
    }
  }

  prove(key: Uint8Array): SmtProof {
    return this.tree.prove(sha256Bytes(key));
  }

  private remember(ck: string, v: Uint8Array | null): void {
    if (this.young.size >= this.opts.valueCacheEntries >> 1) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(ck, v);
  }
}

/**
 * A 33-byte LevelDB key cut from the tree's slab. `new Uint8Array(33)` lives on the V8 heap,
 * and LevelDB's native side must first move each such key into an ArrayBuffer of its own
 * (~1 us of CPU per key in a batch). These keys are dropped once read or written, so they pin
 * no slab for long.
 */
function slabKey(prefix: number, hash: Uint8Array): Uint8Array {
  const k = alloc(33);
  k[0] = prefix;
  k.set(hash, 1);
  return k;
}
