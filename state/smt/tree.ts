import { compare, equal } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import {
  alloc,
  type Child,
  decodeInner,
  EMPTY_ROOT,
  entryKind,
  entryOffset,
  type Inner,
  type Leaf,
  MAX_DEPTH,
  makeLeaf,
  nibble,
  patchPreimage,
  popcount,
  sealInner,
  sealPreimage,
} from './node.js';
import type { SmtProof } from './proof.js';

export const SmtErrorCode = {
  MISSING_NODE: 'SMT_MISSING_NODE',
} as const;

/** Synchronous node source (LevelDB getSync behind a cache, or a Map in tests). */
export interface NodeSource {
  getNode(hash: Uint8Array): Uint8Array | undefined;
}

/** One change: set keyHash to valueHash, or delete it (null). */
export interface SmtOp {
  keyHash: Uint8Array;
  valueHash: Uint8Array | null;
}

/** The result of staging a batch: the new root and the nodes to persist with the block. */
export interface SmtUpdate {
  readonly root: Inner | null;
  readonly rootHash: Uint8Array;
  readonly writes: Array<[hash: Uint8Array, bytes: Uint8Array]>;
  /** Hashes of the committed nodes this update rewrites: a node cache may drop them on advance. */
  readonly replaced: Uint8Array[];
}

export interface SmtOptions {
  /** Inner nodes at depth <= cacheDepth stay in memory as objects; deeper ones are loaded on demand. */
  cacheDepth: number;
}

export const defaultSmtOptions: SmtOptions = { cacheDepth: 3 };

/**
 * A 16-ary sparse Merkle tree, copy-on-write: `stage()` never mutates the
 * committed version, so a validator can execute several proposals for one
 * height and keep only the one that is committed (`advance`).
 */
export class SparseMerkleTree {
  private root: Inner | null;

  constructor(
    private readonly source: NodeSource,
    root: Inner | null = null,
    private readonly opts: SmtOptions = defaultSmtOptions,
  ) {
    this.root = root;
  }

  /** Opens the tree at a stored root hash (EMPTY_ROOT for an empty tree). */
  static open(source: NodeSource, rootHash: Uint8Array, opts: SmtOptions = defaultSmtOptions): SparseMerkleTree {
    const t = new SparseMerkleTree(source, null, opts);
    if (!equal(rootHash, EMPTY_ROOT)) t.root = t.load(rootHash);
    return t;
  }

  get rootHash(): Uint8Array {
    return this.root === null ? EMPTY_ROOT : this.root.hash;
  }

  /** Computes the new root for `ops` (any order; the last op for a key wins) without committing. */
  stage(ops: readonly SmtOp[]): SmtUpdate {
    const writes: Array<[Uint8Array, Uint8Array]> = [];
    const replaced: Uint8Array[] = [];
    const sorted = dedupeSorted(ops);
    if (sorted.length === 0) return { root: this.root, rootHash: this.rootHash, writes, replaced };
    const child = this.applyInner(this.root, 0, sorted, 0, sorted.length, writes, replaced);
    // Depth 0 is within the cached depths and never collapses, so a non-empty result is an Inner.
    const root = child === undefined ? null : (child as Inner);
    return { root, rootHash: root === null ? EMPTY_ROOT : root.hash, writes, replaced };
  }

  /** Makes a staged update the committed version (after its writes are durable). */
  advance(update: SmtUpdate): void {
    this.root = update.root;
  }

  /** The leaf for keyHash, if present. */
  getLeaf(keyHash: Uint8Array): Leaf | undefined {
    const found = this.walk(keyHash, null);
    return found === null || !equal(found.keyHash, keyHash) ? undefined : found;
  }

  /** Inclusion or non-inclusion proof for keyHash against the committed root. */
  prove(keyHash: Uint8Array): SmtProof {
    const steps: SmtProof['steps'] = [];
    const found = this.walk(keyHash, steps);
    return { steps, leaf: found === null ? null : { keyHash: found.keyHash, valueHash: found.valueHash } };
  }

  // ---- internals ----

  /**
   * Follows keyHash's path to the leaf on it (null: an empty slot), pushing a proof step per
   * inner node when `steps` is given. Cached nodes are walked as objects; below them the
   * stored bytes are read in place, the one entry on the path, without decoding the node.
   */
  private walk(keyHash: Uint8Array, steps: SmtProof['steps'] | null): Leaf | null {
    let node: Inner | null = this.root;
    let depth = 0;
    let bytes: Uint8Array | undefined;
    while (node !== null) {
      const nib = nibble(keyHash, depth);
      steps?.push(proofStep(node.bytes, nib));
      const c = node.children[nib];
      depth++;
      if (c === undefined) return null;
      if (c.kind === 1) return c;
      if (c.kind === 3 && depth > this.opts.cacheDepth) {
        bytes = this.nodeBytes(c.hash);
        break;
      }
      node = this.resolve(node, nib, depth) as Inner;
    }
    while (bytes !== undefined) {
      const nib = nibble(keyHash, depth);
      steps?.push(proofStep(bytes, nib));
      const kind = entryKind(bytes, nib);
      if (kind === 0) return null;
      const off = entryOffset(bytes, nib);
      if (kind === 1) return makeLeaf(bytes.subarray(off, off + 32), bytes.subarray(off + 32, off + 64));
      if (++depth > MAX_DEPTH) throw new Error('corrupt SMT node');
      bytes = this.nodeBytes(bytes.subarray(off, off + 32));
    }
    return null;
  }

  private nodeBytes(hash: Uint8Array): Uint8Array {
    const bytes = this.source.getNode(hash);
    if (bytes === undefined) throw new MedchainError(SmtErrorCode.MISSING_NODE);
    return bytes;
  }

  // ---- internals ----

  private load(hash: Uint8Array): Inner {
    return decodeInner(hash, this.nodeBytes(hash));
  }

  /** Child at slot, loading a Ref; nodes at cached depths are kept (same content, so sharing is safe). */
  private resolve(node: Inner, slot: number, childDepth: number): Leaf | Inner | undefined {
    const c = node.children[slot];
    if (c === undefined || c.kind !== 3) return c;
    const loaded = this.load(c.hash);
    if (childDepth <= this.opts.cacheDepth) node.children[slot] = loaded;
    return loaded;
  }

  /** Applies ops[lo, hi) (sorted, sharing `depth` nibbles) below `node`; returns the new subtree. */
  private applyInner(
    node: Inner | null,
    depth: number,
    ops: SmtOp[],
    lo: number,
    hi: number,
    writes: Array<[Uint8Array, Uint8Array]>,
    replaced: Uint8Array[],
  ): Child | undefined {
    if (node !== null) replaced.push(node.hash);
    const children: (Child | undefined)[] = node === null ? new Array(16) : node.children.slice();
    let touched = 0;
    let i = lo;
    while (i < hi) {
      const nib = nibble((ops[i] as SmtOp).keyHash, depth);
      let j = i + 1;
      while (j < hi && nibble((ops[j] as SmtOp).keyHash, depth) === nib) j++;
      touched |= 0x8000 >> nib;
      const c = node === null ? undefined : node.children[nib];
      if (c !== undefined && c.kind === 3 && depth + 1 > this.opts.cacheDepth)
        children[nib] = this.applyBytes(c.hash, depth + 1, ops, i, j, writes, replaced);
      else {
        const existing = node === null ? undefined : this.resolve(node, nib, depth + 1);
        children[nib] = this.applyChild(existing, depth + 1, ops, i, j, writes, replaced);
      }
      i = j;
    }
    return this.seal(children, depth, writes, node?.bytes, touched);
  }

  /**
   * applyInner for a stored node below the cached depths, on its bytes: only the touched slots
   * are decoded, and the new node copies the untouched entries from the old bytes in runs
   * (decoding all 16 slots into objects, then copying them back, was most of staging's garbage).
   */
  private applyBytes(
    hash: Uint8Array,
    depth: number,
    ops: SmtOp[],
    lo: number,
    hi: number,
    writes: Array<[Uint8Array, Uint8Array]>,
    replaced: Uint8Array[],
  ): Child | undefined {
    const bytes = this.nodeBytes(hash);
    replaced.push(hash);
    const bitmap = ((bytes[0] as number) << 8) | (bytes[1] as number);
    const leafMask = ((bytes[2] as number) << 8) | (bytes[3] as number);
    if (bytes.length !== 4 + 32 * (popcount(bitmap) + popcount(leafMask)) || (leafMask & ~bitmap) !== 0)
      throw new Error('corrupt SMT node');
    if (depth > MAX_DEPTH) throw new Error('SMT depth exceeded (sha256 collision?)');
    let touched = 0;
    const children: (Child | undefined)[] = new Array(16);
    let i = lo;
    while (i < hi) {
      const nib = nibble((ops[i] as SmtOp).keyHash, depth);
      let j = i + 1;
      while (j < hi && nibble((ops[j] as SmtOp).keyHash, depth) === nib) j++;
      const kind = entryKind(bytes, nib);
      const off = entryOffset(bytes, nib);
      if (kind === 2)
        children[nib] = this.applyBytes(bytes.subarray(off, off + 32), depth + 1, ops, i, j, writes, replaced);
      else {
        const existing =
          kind === 1 ? makeLeaf(bytes.subarray(off, off + 32), bytes.subarray(off + 32, off + 64)) : undefined;
        children[nib] = this.applyChild(existing, depth + 1, ops, i, j, writes, replaced);
      }
      touched |= 0x8000 >> nib;
      i = j;
    }
    const m = newMasks(bitmap, leafMask, touched, children);
    const count = popcount(m.bitmap);
    if (count === 0) return undefined;
    if (count === 1 && (m.bitmap & m.leafMask) !== 0) {
      // Canonical form: a lone leaf below the root is the leaf itself (depth > cacheDepth >= 0 here).
      const nib = Math.clz32(m.bitmap) - 16;
      const c = children[nib];
      if (c !== undefined) return c;
      const off = entryOffset(bytes, nib);
      return makeLeaf(bytes.subarray(off, off + 32), bytes.subarray(off + 32, off + 64));
    }
    const pre = patchPreimage(bytes, touched, children, m.bitmap, m.leafMask, m.size);
    const sealed = sealPreimage(pre);
    writes.push([sealed.hash, sealed.bytes]);
    return { kind: 3, hash: sealed.hash };
  }

  private applyChild(
    child: Leaf | Inner | undefined,
    depth: number,
    ops: SmtOp[],
    lo: number,
    hi: number,
    writes: Array<[Uint8Array, Uint8Array]>,
    replaced: Uint8Array[],
  ): Child | undefined {
    if (child !== undefined && child.kind === 2) return this.applyInner(child, depth, ops, lo, hi, writes, replaced);
    if (hi - lo === 1) {
      // The common case, without temporary arrays: one op on an empty slot or on its own leaf.
      const op = ops[lo] as SmtOp;
      if (child === undefined) return op.valueHash === null ? undefined : makeLeaf(op.keyHash, op.valueHash);
      if (equal(child.keyHash, op.keyHash)) {
        if (op.valueHash === null) return undefined;
        return equal(child.valueHash, op.valueHash) ? child : makeLeaf(op.keyHash, op.valueHash);
      }
      if (op.valueHash === null) return child; // deleting an absent key
    }
    // Otherwise merge the existing leaf with the ops as a small sorted set.
    let set: SmtOp[] = ops.slice(lo, hi);
    if (child !== undefined && !set.some((o) => equal(o.keyHash, child.keyHash))) {
      set.push({ keyHash: child.keyHash, valueHash: child.valueHash });
      set.sort((a, b) => compare(a.keyHash, b.keyHash));
    }
    set = set.filter((o) => o.valueHash !== null);
    if (set.length === 0) return undefined;
    if (set.length === 1) {
      const only = set[0] as SmtOp;
      if (
        child !== undefined &&
        equal(child.keyHash, only.keyHash) &&
        equal(child.valueHash, only.valueHash as Uint8Array)
      )
        return child;
      return makeLeaf(only.keyHash, only.valueHash as Uint8Array);
    }
    if (depth >= MAX_DEPTH) throw new Error('SMT depth exceeded (sha256 collision?)');
    return this.applyInner(null, depth, set, 0, set.length, writes, replaced);
  }

  /**
   * Canonical form: empty -> nothing; one leaf below the root -> the leaf itself. With the old
   * node's bytes, only the `touched` slots are written anew (patchPreimage).
   */
  private seal(
    children: (Child | undefined)[],
    depth: number,
    writes: Array<[Uint8Array, Uint8Array]>,
    old?: Uint8Array,
    touched = 0,
  ): Child | undefined {
    let count = 0;
    let last: Child | undefined;
    for (let i = 0; i < 16; i++) {
      const c = children[i];
      if (c !== undefined) {
        count++;
        last = c;
      }
    }
    if (count === 0) return undefined;
    if (count === 1 && depth > 0 && (last as Child).kind === 1) return last;
    let sealed: { node: Inner; bytes: Uint8Array };
    if (old === undefined) sealed = sealInner(children);
    else {
      const m = newMasks(
        ((old[0] as number) << 8) | (old[1] as number),
        ((old[2] as number) << 8) | (old[3] as number),
        touched,
        children,
      );
      const { hash, bytes } = sealPreimage(patchPreimage(old, touched, children, m.bitmap, m.leafMask, m.size));
      sealed = { node: { kind: 2, children, hash, bytes }, bytes };
    }
    writes.push([sealed.node.hash, sealed.bytes]);
    // Below the cached depths keep only the hash: memory stays bounded by the cache depth.
    if (depth > this.opts.cacheDepth) return { kind: 3, hash: sealed.node.hash };
    return sealed.node;
  }
}

/** A rewritten node's masks and preimage size: untouched slots as they were, touched ones per `children`. */
function newMasks(
  bitmap: number,
  leafMask: number,
  touched: number,
  children: readonly (Child | undefined)[],
): { bitmap: number; leafMask: number; size: number } {
  let b = bitmap & ~touched;
  let l = leafMask & ~touched;
  for (let nib = 0; nib < 16; nib++) {
    const bit = 0x8000 >> nib;
    if ((touched & bit) === 0) continue;
    const c = children[nib];
    if (c === undefined) continue;
    b |= bit;
    if (c.kind === 1) l |= bit;
  }
  return { bitmap: b, leafMask: l, size: 5 + 32 * (popcount(b) + popcount(l)) };
}

/** A node's masks and the entries other than the one at `nib`: two copies out of its stored bytes. */
function proofStep(bytes: Uint8Array, nib: number): SmtProof['steps'][number] {
  const bitmap = ((bytes[0] as number) << 8) | (bytes[1] as number);
  const leafMask = ((bytes[2] as number) << 8) | (bytes[3] as number);
  const kind = entryKind(bytes, nib);
  const off = entryOffset(bytes, nib);
  const end = kind === 0 ? off : off + (kind === 1 ? 64 : 32);
  const siblings = alloc(bytes.length - 4 - (end - off));
  siblings.set(bytes.subarray(4, off), 0);
  siblings.set(bytes.subarray(end), off - 4);
  return { bitmap, leafMask, siblings };
}

/** Sorts by keyHash and keeps the last op per key (ties keep input order). */
function dedupeSorted(ops: readonly SmtOp[]): SmtOp[] {
  const sorted = sortByKey(ops);
  const out: SmtOp[] = [];
  for (const op of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && equal(prev.keyHash, op.keyHash)) out[out.length - 1] = op;
    else out.push(op);
  }
  return out;
}

const INDEX_BITS = 20;

/**
 * A stable sort by keyHash without a JS comparator per pair: each op becomes the exact double
 * `first 4 bytes * 2^20 + index`, sorted natively; the rare runs sharing 4 bytes are then
 * ordered by full key (index breaking ties). The comparator sort was a fifth of staging.
 */
function sortByKey(ops: readonly SmtOp[]): SmtOp[] {
  const n = ops.length;
  if (n >= 1 << INDEX_BITS) return ops.slice().sort((a, b) => compare(a.keyHash, b.keyHash));
  const order = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = (ops[i] as SmtOp).keyHash;
    const prefix =
      (((k[0] as number) << 24) | ((k[1] as number) << 16) | ((k[2] as number) << 8) | (k[3] as number)) >>> 0;
    order[i] = prefix * (1 << INDEX_BITS) + i;
  }
  order.sort();
  const out: SmtOp[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = ops[(order[i] as number) % (1 << INDEX_BITS)] as SmtOp;
  for (let i = 0; i < n; ) {
    const p = Math.floor((order[i] as number) / (1 << INDEX_BITS));
    let j = i + 1;
    while (j < n && Math.floor((order[j] as number) / (1 << INDEX_BITS)) === p) j++;
    if (j - i > 1) {
      const run = out.slice(i, j).sort((a, b) => compare(a.keyHash, b.keyHash));
      for (let k = i; k < j; k++) out[k] = run[k - i] as SmtOp;
    }
    i = j;
  }
  return out;
}
