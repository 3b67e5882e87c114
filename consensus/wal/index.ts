/** Crash safety: the sign guard, the WAL and where it is stored. */
export { decodeWalEntry, encodeWalEntry, type LockInfo, signStateOf, type WalEntry } from './entries.js';
export { FileStore } from './file-wal.js';
export { decodeSignState, encodeSignState, SignGuard, type SignState } from './sign-guard.js';
export { type DurableStore, MemoryStore } from './store.js';
export { ConsensusWal } from './wal.js';
