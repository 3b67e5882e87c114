import { isCoded } from '../../src/errors.js';
import type { DriverWal } from '../engine/driver.js';
import { ConsensusError, ConsensusErrorCode } from '../engine/errors.js';
import type { SignState } from '../engine/sign-guard.js';
import { SignStep } from '../engine/types.js';
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

  /**
   * Where signing may resume at `height` (the block store tip + 1) after load(). A damaged tail
   * (torn by a crash, or corrupted on disk) may have held an own record that was synced and
   * sent, so the last own record we can read is not proof of what we signed: we sign nothing
   * more at this height (we still follow it and commit others' certificates) and start again at
   * the next one. Own records of earlier heights cannot be lost this way: the WAL is trimmed to
   * the last own record only after a block is committed.
   */
  signFloor(height: number): SignState | undefined {
    if ((this.store.droppedTailBytes ?? 0) === 0) return undefined;
    return { height, round: Number.MAX_SAFE_INTEGER, step: SignStep.PRECOMMIT, blockHash: null };
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
