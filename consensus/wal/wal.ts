import { isCoded } from '../../src/errors.js';
import type { DriverWal } from '../engine/driver.js';
import { ConsensusError, ConsensusErrorCode } from '../engine/errors.js';
import { decodeWalEntry, encodeWalEntry, type WalEntry } from '../engine/wal-entries.js';
import type { DurableStore } from './store.js';

/**
 * The consensus write-ahead log over a DurableStore: received messages
 * (best-effort), own signed messages (synced before sending; the last one is
 * also the sign state), trimmed at each new height down to that last own one.
 */
export class ConsensusWal implements DriverWal {
  private lastOwn: Uint8Array | undefined;

  constructor(
    private readonly store: DurableStore,
    /** Bound for one record (a proposal carries a whole block). */
    private readonly maxRecordBytes: number,
  ) {}

  async load(): Promise<WalEntry[]> {
    const out: WalEntry[] = [];
    for (const rec of await this.store.readAll()) {
      try {
        const e = decodeWalEntry(rec, this.maxRecordBytes);
        if (e.own) this.lastOwn = rec;
        out.push(e);
      } catch (err) {
        // Stores only return whole records, so a bad one is real corruption.
        if (isCoded(err)) throw new ConsensusError(ConsensusErrorCode.WAL_CORRUPT, { at: out.length });
        throw err;
      }
    }
    return out;
  }

  async append(entry: WalEntry, sync: boolean): Promise<void> {
    const rec = encodeWalEntry(entry);
    await this.store.append(rec, sync);
    if (entry.own) this.lastOwn = rec;
  }

  /** Drops earlier heights; the last own record stays as the sign state. */
  async newHeight(): Promise<void> {
    await this.store.truncate(this.lastOwn ? [this.lastOwn] : []);
  }
}
