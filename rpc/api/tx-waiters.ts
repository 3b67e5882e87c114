/**
 * Pending tx_waitFinal calls, indexed by tx hash: each committed block is matched once against the
 * index (one map lookup per tx of the block), whatever the number of waiters, and nothing listens
 * to commits while no one waits.
 */
import type { CommittedBlock } from '../../consensus/chain-executor.js';
import type { NodeApi } from './types.js';

export interface TxLocation {
  height: number;
  index: number;
}

type Resolve = (loc: TxLocation | null) => void;

const keyOf = (hash: Uint8Array): string => Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');

export class TxWaiters {
  private readonly byHash = new Map<string, Set<Resolve>>();
  private listening = false;

  constructor(private readonly api: NodeApi) {}

  /** Number of pending waits (tests, metrics). */
  get size(): number {
    let n = 0;
    for (const s of this.byHash.values()) n += s.size;
    return n;
  }

  /** Resolves with the tx's location once committed, or null after `ms` or on abort. */
  wait(hash: Uint8Array, ms: number, signal: AbortSignal): Promise<TxLocation | null> {
    return new Promise((resolve) => {
      const key = keyOf(hash);
      let settled = false;
      const done: Resolve = (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.remove(key, done);
        resolve(v);
      };
      const onAbort = (): void => done(null);
      const timer = setTimeout(() => done(null), ms);
      if (signal.aborted) return done(null);
      signal.addEventListener('abort', onAbort);
      // Index first, then look: a block committed while the store is read is not missed.
      this.add(key, done);
      this.api.chain.blocks.getTxLocation(hash).then(
        (loc) => {
          if (loc !== undefined) done(loc);
        },
        () => {},
      );
    });
  }

  private add(key: string, r: Resolve): void {
    let set = this.byHash.get(key);
    if (set === undefined) {
      set = new Set();
      this.byHash.set(key, set);
    }
    set.add(r);
    if (!this.listening) {
      this.listening = true;
      this.api.events.on('committed', this.onCommit);
    }
  }

  private remove(key: string, r: Resolve): void {
    const set = this.byHash.get(key);
    if (set === undefined) return;
    set.delete(r);
    if (set.size === 0) this.byHash.delete(key);
    if (this.byHash.size === 0 && this.listening) {
      this.listening = false;
      this.api.events.off('committed', this.onCommit);
    }
  }

  private readonly onCommit = (c: CommittedBlock): void => {
    const txs = c.exec.txs;
    const height = c.block.header.height;
    for (let index = 0; index < txs.length; index++) {
      const set = this.byHash.get(keyOf((txs[index] as { hash: Uint8Array }).hash));
      if (set === undefined) continue;
      for (const r of [...set]) r({ height, index });
    }
  };
}
