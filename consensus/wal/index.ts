/** Crash safety: the WAL and where it is stored; the entries and the sign guard are engine state (engine/). */

export { decodeSignState, encodeSignState, SignGuard, type SignState } from '../engine/sign-guard.js';
export { decodeWalEntry, encodeWalEntry, type LockInfo, signStateOf, type WalEntry } from '../engine/wal-entries.js';
export { FileStore } from './file-wal.js';
export { type DurableStore, MemoryStore } from './store.js';
export { ConsensusWal } from './wal.js';
