/**
 * The version of what indexOps writes, stamped in the DB. A node whose DB was indexed by an older
 * version lacks the newer kinds of entries for its old blocks (their queries would answer as if
 * nothing had happened), so at start it rebuilds the indexes from its stored blocks and stamps.
 */
import { decodeBlock } from '../../src/chain/block.js';
import { decodeReceipt } from '../../src/chain/receipt.js';
import { decodeTx } from '../../src/chain/tx.js';
import { utf8 } from '../../src/codec/bytes.js';
import { BlockStore } from '../block-store.js';
import { type Db, dbKey, Prefix } from '../store/db.js';
import { rebuildIndexes } from './query.js';
import type { IndexedBlock } from './writer.js';

/**
 * Bump whenever indexOps writes a new kind of entry or changes one.
 * 1: disclosures, grantees, flags, consents, records, credentials (no stamp was written).
 * 2: BY_ORG (an organization's emergency sessions and registrations), DELEGATES_BY_PATIENT.
 * 3: BY_ORG also lists its practitioners' accesses; GOVERNANCE.
 */
export const INDEX_VERSION = 3;

const VERSION_KEY = dbKey(Prefix.META, utf8('index-version'));

/** The DB's stamp; 1 when there is none (DBs written before stamps existed). */
export function indexVersion(db: Db): number {
  const v = db.getSync(VERSION_KEY);
  return v === undefined || v.length !== 4 ? 1 : new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
}

async function* storedBlocks(
  db: Db,
  from: number,
  to: number,
  read?: IndexedBlock['read'],
): AsyncIterable<IndexedBlock> {
  const store = new BlockStore(db);
  let found = false;
  for (let h = from; h <= to; h++) {
    const bytes = await store.getBlock(h);
    const receipts = await store.getReceipts(h);
    if (bytes === undefined || receipts === undefined) {
      // A node joined by snapshot holds the state at the snapshot's height, not that block: the
      // stored history starts after it. A gap after the first stored block is a damaged store.
      if (!found) continue;
      throw new Error(`index rebuild: block ${h} is not stored`);
    }
    found = true;
    const block = decodeBlock(bytes);
    yield {
      height: h,
      time: block.header.time,
      txs: block.txs.map((t) => decodeTx(t)),
      receipts: receipts.map(decodeReceipt),
      ...(read !== undefined && { read }),
    };
  }
}

/**
 * At start, before any block commits: rebuilds the indexes from the stored blocks `from..to` (the
 * node's earliest stored height to its head) when the stamp is older than INDEX_VERSION, then
 * stamps. Returns the number of blocks re-indexed (0 when the stamp is current). A crash half way
 * leaves the old stamp, so the next start rebuilds again. `read` is committed state at the head: the
 * indexer asks it only for a practitioner's organization, which never changes, so the head's
 * answer is each old block's too.
 */
export async function ensureIndexVersion(
  db: Db,
  from: number,
  to: number,
  read?: IndexedBlock['read'],
): Promise<number> {
  if (indexVersion(db) >= INDEX_VERSION) return 0;
  const n = to >= from ? await rebuildIndexes(db, storedBlocks(db, from, to, read)) : 0;
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, INDEX_VERSION);
  await db.put(VERSION_KEY, v, { sync: true });
  return n;
}
