import { equal } from '../codec/bytes.js';
import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode } from '../codec/cbor.js';
import { sha256 } from '../crypto/hash.js';

/**
 * State proofs of the 16-ary sparse Merkle tree (state/smt) and their stand-alone verification
 * from a state root alone. In the bottom layer so that light clients (the browser SDK) check
 * proofs without the state layer. The node layout is described in state/smt/node.ts.
 */
export const EMPTY_ROOT = new Uint8Array(32);
export const MAX_DEPTH = 64; // nibbles in a 32-byte hash

export const nibble = (keyHash: Uint8Array, depth: number): number => {
  const b = keyHash[depth >> 1] as number;
  return depth & 1 ? b & 0x0f : b >> 4;
};

/**
 * A preimage buffer of `size` bytes with the inner-node prefix written: 0x01,
 * bitmap, leaf mask. `into` reuses a scratch buffer (at least `size` bytes).
 */
export function innerPreimage(size: number, bitmap: number, leafMask: number, into?: Uint8Array): Uint8Array {
  const pre = into ?? new Uint8Array(size);
  pre[0] = 0x01;
  pre[1] = bitmap >> 8;
  pre[2] = bitmap & 0xff;
  pre[3] = leafMask >> 8;
  pre[4] = leafMask & 0xff;
  return pre;
}

/**
 * A path from the root towards sha256(key): per inner node, its bitmap and
 * leaf mask and the entries of the children other than the one on the path
 * (32-byte hash for an inner child, keyHash || valueHash for a leaf child).
 * It ends in the key's own leaf (inclusion), another key's leaf on the path
 * (non-inclusion) or an empty slot (non-inclusion, leaf = null).
 */
export interface SmtProof {
  steps: Array<{ bitmap: number; leafMask: number; siblings: Uint8Array }>;
  leaf: { keyHash: Uint8Array; valueHash: Uint8Array } | null;
}

/**
 * Stand-alone verification from the root alone: true iff the proof shows that
 * `key` maps to `value` (or, with value null, that `key` is absent) under `root`.
 */
export function verifyStateProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: SmtProof,
): boolean {
  const keyHash = sha256(key);
  const d = proof.steps.length;
  if (d === 0) return value === null && proof.leaf === null && equal(root, EMPTY_ROOT);
  if (d > MAX_DEPTH) return false;
  // The entry on the path at the deepest step: a leaf (64 bytes) or nothing.
  let entry: Uint8Array | null = null;
  const leaf = proof.leaf;
  if (value !== null) {
    if (leaf === null || !equal(leaf.keyHash, keyHash) || !equal(leaf.valueHash, sha256(value))) return false;
  } else if (leaf !== null) {
    // Another key's leaf sits where ours would be: it must share the path and differ.
    if (equal(leaf.keyHash, keyHash)) return false;
    for (let i = 0; i < d; i++) if (nibble(leaf.keyHash, i) !== nibble(keyHash, i)) return false;
  }
  if (leaf !== null) {
    entry = new Uint8Array(64);
    entry.set(leaf.keyHash);
    entry.set(leaf.valueHash, 32);
  }
  let entryIsLeaf = leaf !== null;
  for (let i = d - 1; i >= 0; i--) {
    const step = proof.steps[i] as SmtProof['steps'][number];
    const { bitmap, leafMask, siblings } = step;
    const bit = 0x8000 >> nibble(keyHash, i);
    if (bitmap <= 0 || bitmap > 0xffff || (leafMask & ~bitmap) !== 0) return false;
    if (((bitmap & bit) !== 0) !== (entry !== null) || ((leafMask & bit) !== 0) !== entryIsLeaf) return false;
    let size = 5;
    for (let c = 0; c < 16; c++) {
      const b = 0x8000 >> c;
      if (bitmap & b) size += leafMask & b ? 64 : 32;
    }
    if (size - 5 - (entry === null ? 0 : entry.length) !== siblings.length) return false;
    // One scratch buffer for every level's preimage (at most 5 + 16 * 64 bytes): no allocation per level.
    const pre = innerPreimage(size, bitmap, leafMask, SCRATCH);
    let p = 5;
    let s = 0;
    for (let c = 0; c < 16; c++) {
      const b = 0x8000 >> c;
      if ((bitmap & b) === 0) continue;
      if (b === bit) {
        pre.set(entry as Uint8Array, p);
        p += (entry as Uint8Array).length;
      } else {
        const len = leafMask & b ? 64 : 32;
        pre.set(siblings.subarray(s, s + len), p);
        s += len;
        p += len;
      }
    }
    entry = sha256(pre.subarray(0, size));
    entryIsLeaf = false;
  }
  return equal(entry as Uint8Array, root);
}

const SCRATCH = new Uint8Array(5 + 16 * 64);

const MAX_PROOF_BYTES = MAX_DEPTH * (16 * 64 + 16) + 128;

/** Canonical CBOR: [[[bitmap, leafMask, siblings]...], [keyHash, valueHash] | null]. */
export function encodeStateProof(p: SmtProof): Uint8Array {
  return encode([
    p.steps.map((s) => [s.bitmap, s.leafMask, s.siblings]),
    p.leaf === null ? null : [p.leaf.keyHash, p.leaf.valueHash],
  ]);
}

export function decodeStateProof(bytes: Uint8Array): SmtProof {
  const [rawSteps, rawLeaf] = asTuple(decodeCanonical(bytes, MAX_PROOF_BYTES), 2, 'proof');
  const steps = asArray(rawSteps, 'proof.steps', MAX_DEPTH).map((s) => {
    const [bitmap, leafMask, siblings] = asTuple(s, 3, 'proof.step');
    return {
      bitmap: asUint(bitmap, 'proof.bitmap', 0xffff),
      leafMask: asUint(leafMask, 'proof.leafMask', 0xffff),
      siblings: asBytes(siblings, 'proof.siblings', undefined, 15 * 64),
    };
  });
  if (rawLeaf === null) return { steps, leaf: null };
  const [k, v] = asTuple(rawLeaf, 2, 'proof.leaf');
  return { steps, leaf: { keyHash: asBytes(k, 'proof.leaf.key', 32), valueHash: asBytes(v, 'proof.leaf.value', 32) } };
}
