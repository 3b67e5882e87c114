import type { WalEntry } from '../engine/wal-entries.js';

/**
 * The simulator's WAL: entry objects instead of bytes (the codec is tested
 * elsewhere; here speed matters), with the same durability rules as
 * MemoryStore: a crash keeps synced records and maybe part of the unsynced tail.
 */
export class SimLog {
  private list: WalEntry[] = [];
  private durable = 0;

  append(e: WalEntry, sync: boolean): void {
    this.list.push(e);
    if (sync) this.durable = this.list.length;
  }

  newHeight(): void {
    let lastOwn: WalEntry | undefined;
    for (const e of this.list) if (e.own) lastOwn = e;
    this.list = lastOwn ? [lastOwn] : [];
    this.durable = this.list.length;
  }

  crash(keepUnsynced: number): void {
    this.list.length = Math.min(this.list.length, this.durable + keepUnsynced);
    this.durable = this.list.length;
  }

  entries(): WalEntry[] {
    return this.list.slice();
  }
}
