import { mapKey } from './keys.js';

/** A state change: value null deletes the key. */
export interface StateChange {
  key: Uint8Array;
  value: Uint8Array | null;
}

export interface StateReader {
  /** `mapKey`, when given, is mapKey(key), already computed by the caller. */
  get(key: Uint8Array, mapKey?: string): Uint8Array | undefined;
}

/**
 * The state as a block executes: committed state underneath, the block's
 * changes above it, and the current transaction's changes on top, so a failed
 * transaction is rolled back by dropping one map.
 */
export class StateView implements StateReader {
  private readonly block = new Map<string, StateChange>();
  private tx: Map<string, StateChange> | null = null;

  constructor(private readonly base: StateReader) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const k = mapKey(key);
    const c = this.tx?.get(k) ?? this.block.get(k);
    if (c !== undefined) return c.value ?? undefined;
    return this.base.get(key, k);
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    (this.tx ?? this.block).set(mapKey(key), { key, value });
  }

  delete(key: Uint8Array): void {
    (this.tx ?? this.block).set(mapKey(key), { key, value: null });
  }

  beginTx(): void {
    this.tx = new Map();
  }

  commitTx(): void {
    if (this.tx === null) return;
    for (const [k, c] of this.tx) this.block.set(k, c);
    this.tx = null;
  }

  rollbackTx(): void {
    this.tx = null;
  }

  /** The block's changes, in first-write order (deterministic: execution order). */
  changes(): StateChange[] {
    return [...this.block.values()];
  }
}
