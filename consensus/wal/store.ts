/**
 * Where the WAL lives. `append(.., true)` resolves only when the record and
 * every record before it are durable (fsync): the engine's persistSignState
 * relies on it. `truncate` replaces the whole log atomically (a crash leaves
 * either the old or the new log, never a mix).
 */
export interface DurableStore {
  append(record: Uint8Array, sync: boolean): Promise<void>;
  readAll(): Promise<Uint8Array[]>;
  /** Bytes the last readAll() dropped from a damaged tail (stores that cannot tell leave it out). */
  readonly droppedTailBytes?: number;
  truncate(keep: readonly Uint8Array[]): Promise<void>;
}

/**
 * In-memory store for tests and the simulator. Records appended without sync
 * are lost by crash() unless a later synced append made them durable, as with
 * an append-only file and fsync. The *Now methods are the synchronous core.
 */
export class MemoryStore implements DurableStore {
  private records: Uint8Array[] = [];
  private durable = 0;

  appendNow(record: Uint8Array, sync: boolean): void {
    this.records.push(record);
    if (sync) this.durable = this.records.length;
  }

  readAllNow(): Uint8Array[] {
    return this.records.slice();
  }

  truncateNow(keep: readonly Uint8Array[]): void {
    this.records = keep.slice();
    this.durable = this.records.length;
  }

  /** Simulates power loss: keeps durable records plus `keepUnsynced` of the rest (a torn tail). */
  crash(keepUnsynced = 0): void {
    this.records.length = Math.min(this.records.length, this.durable + keepUnsynced);
    this.durable = this.records.length;
  }

  get size(): number {
    return this.records.length;
  }

  async append(record: Uint8Array, sync: boolean): Promise<void> {
    this.appendNow(record, sync);
  }

  async readAll(): Promise<Uint8Array[]> {
    return this.readAllNow();
  }

  async truncate(keep: readonly Uint8Array[]): Promise<void> {
    this.truncateNow(keep);
  }
}
