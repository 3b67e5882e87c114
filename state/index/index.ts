/** Derived audit indexes: the writer (ops per block), paginated time-ranged queries, rebuild from blocks. */
export * from './query.js';
export { ensureIndexVersion, INDEX_VERSION, indexVersion } from './version.js';
export { type IndexedBlock, IndexName, indexKey, indexOps, recordOwnerKey } from './writer.js';
