import type { Tx } from '../src/chain/tx.js';
import { equal } from '../src/codec/bytes.js';
import { mapKey } from '../state/exec/keys.js';

/**
 * Signed txs whose signature this node verified while judging a proposal (they were not in its
 * pool yet): a later round's proposal carrying them, and their gossip copies arriving afterwards,
 * are not verified again. Keyed by the tx hash (which covers the public key) and matched with the
 * signature bytes, so a differently signed copy is never taken for a verified one. Bounded: full,
 * it starts over (a miss only costs a verify).
 */
export class VerifiedTxs {
  private readonly sigs = new Map<string, Uint8Array>();

  constructor(private readonly max: number) {}

  add(tx: Tx): void {
    if (this.sigs.size >= this.max) this.sigs.clear();
    this.sigs.set(mapKey(tx.hash), tx.signature);
  }

  has(tx: Tx): boolean {
    const sig = this.sigs.get(mapKey(tx.hash));
    return sig !== undefined && equal(sig, tx.signature);
  }

  get size(): number {
    return this.sigs.size;
  }
}
