import { equal } from '../../src/codec/bytes.js';
import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode } from '../../src/codec/cbor.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { CommitCertificate } from '../engine/types.js';

/** Reserved id: a transaction every honest executor rejects (for invalid-block faults). */
export const INVALID_TX = 0;
const ZERO = new Uint8Array(32);
const MAX_BLOCK = 1 << 20;

export interface SimBlock {
  height: number;
  prevHash: Uint8Array;
  time: number;
  txs: number[];
}

export const encodeSimBlock = (b: SimBlock): Uint8Array => encode([b.height, b.prevHash, b.time, b.txs]);

export function decodeSimBlock(bytes: Uint8Array): SimBlock {
  const t = asTuple(decodeCanonical(bytes, MAX_BLOCK), 4, 'block');
  return {
    height: asUint(t[0], 'height'),
    prevHash: asBytes(t[1], 'prevHash', 32),
    time: asUint(t[2], 'time'),
    txs: asArray(t[3], 'txs', 100_000).map((x) => asUint(x, 'tx')),
  };
}

export interface ChainEntry {
  block: Uint8Array;
  hash: Uint8Array;
  cert: CommitCertificate;
  time: number;
  txs: number[];
}

/**
 * A toy executor: blocks are lists of fake tx ids, the hash is sha256 of the
 * encoding. The chain is durable across crashes; the mempool is not.
 */
export class SimExecutor {
  readonly chain: ChainEntry[] = [];
  readonly committed = new Set<number>();
  mempool = new Set<number>();

  constructor(private readonly maxTxs = 64) {}

  get height(): number {
    return this.chain.length;
  }

  get tipHash(): Uint8Array {
    return this.chain[this.chain.length - 1]?.hash ?? ZERO;
  }

  get tipTime(): number {
    return this.chain[this.chain.length - 1]?.time ?? 0;
  }

  addTx(tx: number): boolean {
    if (this.committed.has(tx) || this.mempool.has(tx)) return false;
    this.mempool.add(tx);
    return true;
  }

  build(height: number, time: number, extra: readonly number[] = []): { block: Uint8Array; hash: Uint8Array } {
    const txs: number[] = [];
    for (const tx of this.mempool) {
      if (txs.length >= this.maxTxs) break;
      txs.push(tx);
    }
    txs.push(...extra);
    const block = encodeSimBlock({ height, prevHash: this.tipHash, time: Math.max(time, this.tipTime + 1), txs });
    return { block, hash: sha256(block) };
  }

  /** Re-execution: right height and parent, later time, known-good, fresh, distinct txs. */
  validate(height: number, block: Uint8Array): { valid: boolean; hash: Uint8Array } {
    const hash = sha256(block);
    try {
      const b = decodeSimBlock(block);
      if (b.height !== height || height !== this.height + 1) return { valid: false, hash };
      if (b.time <= this.tipTime || !equal(b.prevHash, this.tipHash)) return { valid: false, hash };
      const seen = new Set<number>();
      for (const tx of b.txs) {
        if (tx === INVALID_TX || seen.has(tx) || this.committed.has(tx)) return { valid: false, hash };
        seen.add(tx);
      }
      return { valid: true, hash };
    } catch {
      return { valid: false, hash };
    }
  }

  commit(block: Uint8Array, hash: Uint8Array, cert: CommitCertificate): SimBlock {
    const b = decodeSimBlock(block);
    this.chain.push({ block, hash, cert, time: b.time, txs: b.txs });
    for (const tx of b.txs) {
      this.committed.add(tx);
      this.mempool.delete(tx);
    }
    return b;
  }
}
