import { innerPreimage } from '../../src/chain/state-proof.js';
import { sha256Bytes } from './hash.js';

/** Shared with the stand-alone proof verifier in the bottom layer. */
export { EMPTY_ROOT, innerPreimage, MAX_DEPTH, nibble } from '../../src/chain/state-proof.js';

/**
 * Nodes of the 16-ary sparse Merkle tree over sha256(key).
 *
 * An inner node's bytes are `bitmap(u16 BE) || leafMask(u16 BE) || entries`,
 * one entry per present child in nibble order: an inner child is its 32-byte
 * hash, a leaf child is `keyHash || valueHash` (64 bytes) held inline.
 * inner hash = sha256(0x01 || bytes); the empty tree's root is 32 zero bytes.
 *
 * Inline leaves mean one sha256 per touched node instead of one per sibling
 * leaf, and the stored bytes are the hash preimage. A subtree holding a
 * single leaf is that leaf (compressed, as in JMT), except at the root, which
 * is always an inner node once the tree is non-empty, so the shape and the
 * root are a function of the key set alone.
 */

/**
 * Uninitialised bytes cut from a 64 KiB slab: Buffer's 8 KiB pool was refilled every ~16 nodes
 * (11 % of staging, issue 18) and `new Uint8Array(n)` zero-fills its own backing store. A slab
 * is freed once no node cut from it is referenced; the node cache copies what it keeps long
 * (state/store/node-cache.ts), so a few survivors do not pin whole slabs.
 * Only for buffers the caller overwrites in full.
 */
const SLAB = 64 * 1024;
let slab: Uint8Array = new Uint8Array(0);
let slabUsed = 0;
export const alloc = (n: number): Uint8Array => {
  if (n > SLAB >> 4) return unpooled(n);
  if (slabUsed + n > slab.length) {
    slab = unpooled(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
};

function unpooled(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

export interface Leaf {
  readonly kind: 1;
  readonly keyHash: Uint8Array;
  readonly valueHash: Uint8Array;
}

export interface Inner {
  readonly kind: 2;
  /** 16 slots; children of cached inner nodes may be loaded in place (same content). */
  readonly children: (Child | undefined)[];
  readonly hash: Uint8Array;
  /** The stored bytes (hash preimage less its 0x01): proofs copy entries from here, not from scattered children. */
  readonly bytes: Uint8Array;
}

/** An inner node not held in memory: loaded from the store by hash when needed. */
export interface Ref {
  readonly kind: 3;
  readonly hash: Uint8Array;
}

export type Child = Leaf | Inner | Ref;

export function makeLeaf(keyHash: Uint8Array, valueHash: Uint8Array): Leaf {
  return { kind: 1, keyHash, valueHash };
}

/** Seals children into an inner node: its storage bytes and hash. */
export function sealInner(children: (Child | undefined)[]): { node: Inner; bytes: Uint8Array } {
  let bitmap = 0;
  let leafMask = 0;
  let size = 5;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c === undefined) continue;
    bitmap |= 0x8000 >> i;
    if (c.kind === 1) {
      leafMask |= 0x8000 >> i;
      size += 64;
    } else size += 32;
  }
  const pre = innerPreimage(size, bitmap, leafMask, alloc(size));
  let p = 5;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c === undefined) continue;
    p = putEntry(pre, p, c);
  }
  const { hash, bytes } = sealPreimage(pre);
  return { node: { kind: 2, children, hash, bytes }, bytes };
}

/** Writes a child's preimage entry at `p` (a leaf: key and value hashes; else its hash); the next position. */
function putEntry(pre: Uint8Array, p: number, c: Child): number {
  if (c.kind === 1) {
    pre.set(c.keyHash, p);
    pre.set(c.valueHash, p + 32);
    return p + 64;
  }
  pre.set(c.hash, p);
  return p + 32;
}

/**
 * The preimage of a node rewritten from its stored bytes `old`: the slots in `touched` take
 * `children[slot]` (undefined: now empty); the others keep their entries, copied from `old`
 * one run of neighbours at a time. `bitmap`/`leafMask` are the new node's masks, `size` its
 * preimage length. Copying runs instead of every child was a fifth of sealing (issue 18).
 */
export function patchPreimage(
  old: Uint8Array,
  touched: number,
  children: readonly (Child | undefined)[],
  bitmap: number,
  leafMask: number,
  size: number,
): Uint8Array {
  const oldBitmap = ((old[0] as number) << 8) | (old[1] as number);
  const oldLeafMask = ((old[2] as number) << 8) | (old[3] as number);
  const pre = innerPreimage(size, bitmap, leafMask, alloc(size));
  let p = 5;
  let s = 4; // read position in old's entries
  let runStart = -1; // start in old of the pending run of untouched entries
  for (let nib = 0; nib < 16; nib++) {
    const bit = 0x8000 >> nib;
    const oldLen = (oldBitmap & bit) === 0 ? 0 : oldLeafMask & bit ? 64 : 32;
    if ((touched & bit) === 0) {
      if (runStart < 0) runStart = s;
      s += oldLen;
      continue;
    }
    if (runStart >= 0 && s > runStart) {
      pre.set(old.subarray(runStart, s), p);
      p += s - runStart;
    }
    runStart = -1;
    s += oldLen;
    const c = children[nib];
    if (c === undefined) continue;
    p = putEntry(pre, p, c);
  }
  if (runStart >= 0 && s > runStart) pre.set(old.subarray(runStart, s), p);
  return pre;
}

/** A filled inner preimage's hash and storage bytes (the preimage less its 0x01). */
export function sealPreimage(pre: Uint8Array): { hash: Uint8Array; bytes: Uint8Array } {
  return { hash: sha256Bytes(pre), bytes: pre.subarray(1) };
}

/** Decodes a stored inner node; the caller knows its hash (it asked for it by hash). */
export function decodeInner(hash: Uint8Array, bytes: Uint8Array): Inner {
  const bitmap = ((bytes[0] as number) << 8) | (bytes[1] as number);
  const leafMask = ((bytes[2] as number) << 8) | (bytes[3] as number);
  const children: (Child | undefined)[] = new Array(16);
  let s = 4;
  for (let i = 0; i < 16; i++) {
    const bit = 0x8000 >> i;
    if ((bitmap & bit) === 0) continue;
    if (leafMask & bit) {
      children[i] = makeLeaf(bytes.subarray(s, s + 32), bytes.subarray(s + 32, s + 64));
      s += 64;
    } else {
      children[i] = { kind: 3, hash: bytes.subarray(s, s + 32) };
      s += 32;
    }
  }
  if (s !== bytes.length || (leafMask & ~bitmap) !== 0) throw new Error('corrupt SMT node');
  return { kind: 2, children, hash, bytes };
}

/** Set bits in a 16-bit mask. */
export function popcount(x: number): number {
  x -= (x >> 1) & 0x5555;
  x = (x & 0x3333) + ((x >> 2) & 0x3333);
  x = (x + (x >> 4)) & 0x0f0f;
  return (x + (x >> 8)) & 0x1f;
}

/**
 * Where slot's entry starts in stored node bytes (entries of lower slots come first), read
 * without decoding the node: what walking a path needs below the cached depths.
 */
export function entryOffset(bytes: Uint8Array, slot: number): number {
  const before = (0xffff << (16 - slot)) & 0xffff;
  const bitmap = ((bytes[0] as number) << 8) | (bytes[1] as number);
  const leafMask = ((bytes[2] as number) << 8) | (bytes[3] as number);
  return 4 + 32 * (popcount(bitmap & before) + popcount(leafMask & before));
}

/** 0 if slot is empty, 1 if it holds a leaf, 2 if an inner node (per the node's masks). */
export function entryKind(bytes: Uint8Array, slot: number): 0 | 1 | 2 {
  const bit = 0x8000 >> slot;
  if (((((bytes[0] as number) << 8) | (bytes[1] as number)) & bit) === 0) return 0;
  return ((((bytes[2] as number) << 8) | (bytes[3] as number)) & bit) === 0 ? 2 : 1;
}
