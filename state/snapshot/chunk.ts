import { equal, toHex } from '../../src/codec/bytes.js';
import { asArray, asBytes, asTuple, decodeCanonical, encode } from '../../src/codec/cbor.js';
import { sha256, sha256Parts } from '../../src/crypto/hash.js';
import { MedchainError } from '../../src/errors.js';
import { decodeInner } from '../smt/node.js';

/**
 * A snapshot chunk: a piece of the state tree below some inner nodes, as
 * `[nodes, values]`. `nodes` are inner-node storage bytes in breadth-first
 * order from the requested nodes, each one requested or a child of a node before it;
 * `values` are the state values of the leaves held in those nodes, in the same
 * order. Every node is checked against a hash its verified parent names, every
 * value against its leaf's valueHash: a chunk is verified from the certified
 * state root alone, piece by piece. Children not included are the frontier,
 * fetched by later requests.
 */
export const SnapshotErrorCode = {
  /** A chunk that does not verify against the hash it was asked for. */
  BAD_CHUNK: 'SNAPSHOT_BAD_CHUNK',
  /** A manifest whose certificate, header or validator set does not hold. */
  BAD_MANIFEST: 'SNAPSHOT_BAD_MANIFEST',
  /**
   * A valid certificate from a set that the validators this node trusts (genesis) do not vouch
   * for: not the peer's fault (the set may have changed too much since genesis), so no penalty.
   */
  UNTRUSTED: 'SNAPSHOT_UNTRUSTED',
  /** The server no longer (or never) held this snapshot: ask for a new manifest. */
  UNAVAILABLE: 'SNAPSHOT_UNAVAILABLE',
  BAD_REQUEST: 'SNAPSHOT_BAD_REQUEST',
  BUSY: 'SNAPSHOT_BUSY',
  /** No peer served a usable snapshot. */
  NO_PEER: 'SNAPSHOT_NO_PEER',
  /** The database holds a snapshot join that did not finish: it must be redone before the node starts. */
  PARTIAL: 'SNAPSHOT_PARTIAL',
} as const;

/** Limits of one chunk: the server stops at either, the client refuses more. */
export const MAX_CHUNK_NODES = 4096;
/** Subtree roots one request may name (the client's next pending hashes). */
export const MAX_CHUNK_ROOTS = 256;
export const MAX_VALUE_BYTES = 1024 * 1024;

export const encodeChunk = (nodes: readonly Uint8Array[], values: readonly Uint8Array[]): Uint8Array =>
  encode([nodes, values]);

export interface VerifiedChunk {
  /** [hash, storage bytes] of each inner node. */
  nodes: Array<[Uint8Array, Uint8Array]>;
  /** [keyHash, value] of each leaf held in those nodes. */
  values: Array<[Uint8Array, Uint8Array]>;
  /** Requested hashes and inner children not in this chunk, still to fetch. */
  frontier: Uint8Array[];
}

const INNER_TAG = new Uint8Array([0x01]);
const bad = (reason: string): MedchainError => new MedchainError(SnapshotErrorCode.BAD_CHUNK, { reason });

/** Size check, bounded decode, then every node and value checked against the hashes above it. */
export function verifyChunk(requested: readonly Uint8Array[], bytes: Uint8Array, maxBytes: number): VerifiedChunk {
  let rawNodes: unknown[];
  let rawValues: unknown[];
  try {
    const [n, v] = asTuple(decodeCanonical(bytes, maxBytes), 2, 'chunk');
    rawNodes = asArray(n, 'chunk.nodes', MAX_CHUNK_NODES);
    rawValues = asArray(v, 'chunk.values', MAX_CHUNK_NODES * 16);
  } catch {
    throw bad('malformed');
  }
  if (rawNodes.length === 0) throw bad('empty');
  // Hashes named by verified parents and not yet delivered, in breadth-first order.
  const wanted = new Map<string, Uint8Array>(requested.map((h) => [toHex(h), h]));
  const out: VerifiedChunk = { nodes: [], values: [], frontier: [] };
  const leaves: Array<{ keyHash: Uint8Array; valueHash: Uint8Array }> = [];
  for (const raw of rawNodes) {
    let bytes: Uint8Array;
    try {
      bytes = asBytes(raw, 'chunk.node', undefined, 4 + 16 * 64);
    } catch {
      throw bad('malformed node');
    }
    const hash = sha256Parts([INNER_TAG, bytes]);
    const k = toHex(hash);
    // [REJECT] each node is one its verified parent (or the request) names.
    if (!wanted.delete(k)) throw bad('unexpected node');
    let node: ReturnType<typeof decodeInner>;
    try {
      node = decodeInner(hash, bytes);
    } catch {
      throw bad('corrupt node');
    }
    for (const c of node.children) {
      if (c === undefined) continue;
      if (c.kind === 1) leaves.push(c);
      else wanted.set(toHex(c.hash), c.hash);
    }
    out.nodes.push([hash, bytes]);
  }
  // [REJECT] one value per leaf held, each hashing to its leaf's valueHash.
  if (rawValues.length !== leaves.length) throw bad('value count');
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i] as { keyHash: Uint8Array; valueHash: Uint8Array };
    let value: Uint8Array;
    try {
      value = asBytes(rawValues[i], 'chunk.value', undefined, MAX_VALUE_BYTES);
    } catch {
      throw bad('malformed value');
    }
    if (!equal(sha256(value), leaf.valueHash)) throw bad('value hash');
    out.values.push([leaf.keyHash, value]);
  }
  out.frontier = [...wanted.values()];
  return out;
}
