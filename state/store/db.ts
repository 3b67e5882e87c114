import { ClassicLevel } from 'classic-level';

/**
 * The node's one LevelDB. Every record lives under a one-byte prefix, so one
 * atomic batch per block can write blocks, state, indexes and the head pointer.
 */
export const Prefix = {
  META: 0x4d, // 'M' + name -> chain metadata (head, genesis)
  NODE: 0x6e, // 'n' + nodeHash -> SMT inner node
  VALUE: 0x76, // 'v' + sha256(key) -> current state value
  BLOCK: 0x62, // 'b' + height(u64) -> block bytes
  BLOCK_HASH: 0x68, // 'h' + blockHash -> height(u64)
  CERT: 0x63, // 'c' + height(u64) -> commit certificate bytes
  RECEIPTS: 0x72, // 'r' + height(u64) -> receipts bytes
  TX: 0x74, // 't' + txHash -> height(u64) || index(u32)
  REPLAY: 0x65, // 'e' + expiresAt(u64) + txHash -> '' (recently included txs)
  INDEX: 0x78, // 'x' + index name + ... (derived query indexes)
  CONSENSUS: 0x57, // 'W' + ... consensus sign-state and WAL
} as const;

export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

export function dbKey(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 1;
  for (const p of parts) n += p.length;
  const k = new Uint8Array(n);
  k[0] = prefix;
  let o = 1;
  for (const p of parts) {
    k.set(p, o);
    o += p.length;
  }
  return k;
}

export type Db = ClassicLevel<Uint8Array, Uint8Array>;

export async function openDb(path: string): Promise<Db> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    // Larger write buffer and block cache: blocks write ~10 MB of state at once.
    writeBufferSize: 64 * 1024 * 1024,
    cacheSize: 64 * 1024 * 1024,
  });
  await db.open();
  return db;
}

/** classic-level's native batch, below abstract-level's public API. */
interface NativeBatch {
  _batch(ops: BatchOp[], options: { sync: boolean }): Promise<void>;
}

/**
 * One atomic LevelDB batch of a block's ops, handed straight to classic-level's native batch:
 * abstract-level's public `batch()` clones, validates and re-encodes every op (4-5 % of a validator's
 * main thread at saturation, in profiles), work these ops never need: Uint8Array keys and values in
 * the 'view' format the DB is opened with, no sublevels, no hooks, no write events.
 */
export function writeBatch(db: Db, ops: BatchOp[], sync: boolean): Promise<void> {
  if (db.status !== 'open') return Promise.reject(new Error(`database is ${db.status}: cannot write a batch`));
  if (ops.length === 0) return Promise.resolve();
  return (db as unknown as NativeBatch)._batch(ops, { sync });
}

/** The exclusive upper bound of all keys starting with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  throw new Error('prefix has no upper bound');
}
