import { sha256 } from '../crypto/hash.js';
import { MedchainError } from '../errors.js';

/**
 * RFC 9162 §2.1 (= RFC 6962 §2.1) Merkle Tree Hash, for txRoot and eventsRoot.
 *   MTH({})      = SHA-256()
 *   leaf         = SHA-256(0x00 || d)
 *   node         = SHA-256(0x01 || left || right)
 * The RFC splits at the largest power of two below n; building bottom-up and
 * carrying an odd last node up unchanged gives the same tree, iteratively.
 * Levels are flat buffers of 32-byte hashes, so two siblings are contiguous.
 */
export const MerkleErrorCode = {
  INDEX_OUT_OF_RANGE: 'MERKLE_INDEX_OUT_OF_RANGE',
  BAD_LEAF_HASH: 'MERKLE_BAD_LEAF_HASH',
} as const;
export type MerkleErrorCode = (typeof MerkleErrorCode)[keyof typeof MerkleErrorCode];

export class MerkleError extends MedchainError<MerkleErrorCode> {}

const H = 32;
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + data.length);
  buf.set(data, 1); // buf[0] = 0x00
  return sha256(buf);
}

// Hashing is synchronous, so one scratch buffer serves every node hash.
const scratch = new Uint8Array(1 + 2 * H);
scratch[0] = 0x01;

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  scratch.set(left, 1);
  scratch.set(right, 1 + H);
  return sha256(scratch);
}

/** Hashes the pair at src[i*32 .. i*32+64) into dst at o. */
function hashPairInto(src: Uint8Array, i: number, dst: Uint8Array, o: number): void {
  scratch.set(src.subarray(i * H, i * H + 2 * H), 1);
  dst.set(sha256(scratch), o);
}

/** Next level up; the odd last node is carried up unchanged. */
function parentLevel(level: Uint8Array, dst: Uint8Array): number {
  const n = level.length / H;
  const pairs = n >> 1;
  for (let i = 0; i < pairs; i++) hashPairInto(level, 2 * i, dst, i * H);
  if (n & 1) dst.set(level.subarray((n - 1) * H, n * H), pairs * H);
  return pairs + (n & 1);
}

function flatLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  const flat = new Uint8Array(leaves.length * H);
  for (let i = 0; i < leaves.length; i++) flat.set(leafHash(leaves[i] as Uint8Array), i * H);
  return flat;
}

function flatFromHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const flat = new Uint8Array(hashes.length * H);
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i];
    if (!(h instanceof Uint8Array) || h.length !== H)
      throw new MerkleError(MerkleErrorCode.BAD_LEAF_HASH, { index: i });
    flat.set(h, i * H);
  }
  return flat;
}

/** Root only: reduces in place in one buffer (entry i is read before it is overwritten). */
function rootOfFlat(flat: Uint8Array): Uint8Array {
  let n = flat.length / H;
  if (n === 0) return EMPTY_ROOT.slice();
  while (n > 1) n = parentLevel(flat.subarray(0, n * H), flat);
  return flat.slice(0, H);
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return rootOfFlat(flatLeafHashes(leaves));
}

export function merkleRootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  return rootOfFlat(flatFromHashes(leafHashes));
}

/** Keeps every level, so many proofs from one block cost no rehashing. */
export class MerkleTree {
  /** levels[0] = leaf hashes, last = [root] (or empty for the empty tree). */
  private readonly levels: Uint8Array[];
  readonly size: number;

  private constructor(level0: Uint8Array) {
    this.size = level0.length / H;
    this.levels = [level0];
    let cur = level0;
    while (cur.length > H) {
      const next = new Uint8Array(Math.ceil(cur.length / H / 2) * H);
      parentLevel(cur, next);
      this.levels.push(next);
      cur = next;
    }
  }

  static fromLeaves(leaves: readonly Uint8Array[]): MerkleTree {
    return new MerkleTree(flatLeafHashes(leaves));
  }

  static fromLeafHashes(leafHashes: readonly Uint8Array[]): MerkleTree {
    return new MerkleTree(flatFromHashes(leafHashes));
  }

  get root(): Uint8Array {
    if (this.size === 0) return EMPTY_ROOT.slice();
    return (this.levels[this.levels.length - 1] as Uint8Array).slice(0, H);
  }

  leafHash(index: number): Uint8Array {
    this.checkIndex(index);
    return (this.levels[0] as Uint8Array).slice(index * H, index * H + H);
  }

  /** RFC 9162 §2.1.3.1 PATH(m, D[n]): sibling hashes from the leaf level up. */
  proof(index: number): Uint8Array[] {
    this.checkIndex(index);
    const path: Uint8Array[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l] as Uint8Array;
      const sib = i % 2 === 0 ? i + 1 : i - 1;
      if (sib * H < level.length) path.push(level.slice(sib * H, sib * H + H));
      i = Math.floor(i / 2);
    }
    return path;
  }

  private checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size)
      throw new MerkleError(MerkleErrorCode.INDEX_OUT_OF_RANGE, { index, size: this.size });
  }
}

export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  return MerkleTree.fromLeaves(leaves).proof(index);
}

export function inclusionProofFromLeafHashes(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  return MerkleTree.fromLeafHashes(leafHashes).proof(index);
}

/**
 * RFC 9162 §2.1.3.2, step by step. Arithmetic instead of bit operators so
 * indices above 2^31 work. Malformed input returns false, never throws.
 */
export function verifyInclusion(
  leafHashValue: Uint8Array,
  index: number,
  treeSize: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leafHashValue) || !isHash(root) || !Array.isArray(path)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0) return false;
  // 1. leaf_index >= tree_size fails
  if (index >= treeSize) return false;
  // 2. fn = leaf_index, sn = tree_size - 1
  let fn = index;
  let sn = treeSize - 1;
  // 3. r = hash
  let r = leafHashValue;
  // 4. for each p in path
  for (const p of path) {
    if (!isHash(p)) return false;
    // a. sn == 0 means the path is too long
    if (sn === 0) return false;
    // b. right child, or the last node of its level: p is on the left
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      // skip the levels where this node had no sibling
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    // c. up one level
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5. the path must end at the root level and match
  if (sn !== 0) return false;
  let diff = 0;
  for (let i = 0; i < H; i++) diff |= (r[i] as number) ^ (root[i] as number);
  return diff === 0;
}

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === H;
}
