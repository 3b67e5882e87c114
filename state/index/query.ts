import { decode } from 'cborg';
import type { EventValue } from '../../src/chain/receipt.js';
import { toHex } from '../../src/codec/bytes.js';
import { type BatchOp, type Db, Prefix, prefixEnd } from '../store/db.js';
import {
  GROUP_BYTES,
  type IndexedBlock,
  IndexName,
  indexOps,
  POSITION_BYTES,
  putU32,
  putU64,
  recordOwnerKey,
  SUBJECT_BYTES,
} from './writer.js';

export interface IndexQuery {
  /** Block time from (inclusive, ms). */
  from?: number;
  /** Block time to (exclusive, ms). */
  to?: number;
  /** Page size, default 100, at most MAX_PAGE. */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: Uint8Array | null;
  /** Newest first. */
  reverse?: boolean;
  /** With a filter: entries visited at most per call (default MAX_SCAN); the page may then be short. */
  maxScan?: number;
}

export interface IndexEntry {
  time: number;
  height: number;
  /** Receipt index in the block (= tx index; the last one may hold endBlock events). */
  receipt: number;
  /** Event index within the receipt. */
  seq: number;
  type: string;
  txHash: Uint8Array;
  attrs: Record<string, EventValue>;
}

export interface IndexPage {
  entries: IndexEntry[];
  /**
   * Pass back as `cursor` for the next page; null when this page is the last. A filtered page
   * that ran out of its scan budget is short (even empty) and its cursor is the position of the
   * last entry visited, not returned.
   */
  cursor: Uint8Array | null;
  /** Entries visited to make this page (the cost of the call). */
  scanned: number;
}

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;
/**
 * Entries a filtered query visits per call at most: a filter that matches rarely (one record's
 * accesses among a patient's years of disclosures) costs bounded work per page, never the whole
 * history; the client follows the cursor.
 */
export const MAX_SCAN = 2 * MAX_PAGE;

function withU64s(head: Uint8Array, ...ns: number[]): Uint8Array {
  const k = new Uint8Array(head.length + 8 * ns.length);
  k.set(head);
  for (let i = 0; i < ns.length; i++) putU64(k, head.length + 8 * i, ns[i] as number);
  return k;
}

interface Position {
  time: number;
  height: number;
  receipt: number;
  seq: number;
}

function readCursor(c: Uint8Array): Position {
  const dv = new DataView(c.buffer, c.byteOffset, POSITION_BYTES);
  return {
    time: dv.getUint32(0) * 0x100000000 + dv.getUint32(4),
    height: dv.getUint32(8) * 0x100000000 + dv.getUint32(12),
    receipt: dv.getUint32(16),
    seq: dv.getUint16(20),
  };
}

function writeCursor(p: Position): Uint8Array {
  const c = new Uint8Array(POSITION_BYTES);
  putU64(c, 0, p.time);
  putU64(c, 8, p.height);
  putU32(c, 16, p.receipt);
  c[20] = p.seq >>> 8;
  c[21] = p.seq;
  return c;
}

const cmp = (a: Position, b: Position): number =>
  a.time - b.time || a.height - b.height || a.receipt - b.receipt || a.seq - b.seq;

type GroupRow = [number, number, string, Uint8Array, Record<string, EventValue>];

/**
 * One block can hold thousands of a subject's events (a grantee's accesses to
 * one patient, a storm of denials in the chain-wide flags). Reading and
 * decoding that whole group again for every page resuming inside it made
 * paging through it quadratic. A large group a page stops inside is kept
 * decoded in a small per-db LRU; the next page starts from it by binary search
 * without touching LevelDB. Index values of committed blocks never change.
 */
const LARGE_GROUP_BYTES = 16 * 1024;
const CACHED_GROUPS = 8;
const groupCache = new WeakMap<Db, Map<string, GroupRow[]>>();

function cachedGroup(db: Db, key: Uint8Array): GroupRow[] | undefined {
  const lru = groupCache.get(db);
  const k = toHex(key);
  const rows = lru?.get(k);
  if (lru === undefined || rows === undefined) return undefined;
  lru.delete(k);
  lru.set(k, rows);
  return rows;
}

function cacheGroup(db: Db, key: Uint8Array, rows: GroupRow[]): void {
  let lru = groupCache.get(db);
  if (lru === undefined) {
    lru = new Map();
    groupCache.set(db, lru);
  }
  lru.set(toHex(key), rows);
  if (lru.size > CACHED_GROUPS) lru.delete(lru.keys().next().value as string);
}

/** Index of the first row after (receipt, seq) in a group, which is sorted by (receipt, seq). */
function firstAfter(rows: readonly GroupRow[], receipt: number, seq: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = rows[mid] as GroupRow;
    if (r[0] < receipt || (r[0] === receipt && r[1] <= seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of an index, for one subject (null for chain-wide indexes),
 * time-ranged, optionally filtered (a filter may scan past non-matching entries).
 */
export async function queryIndex(
  db: Db,
  name: IndexName,
  subject: Uint8Array | null,
  q: IndexQuery = {},
  filter?: (e: IndexEntry) => boolean,
): Promise<IndexPage> {
  if (subject !== null && subject.length !== SUBJECT_BYTES) throw new RangeError('subject must be 32 bytes');
  if (q.cursor != null && q.cursor.length !== POSITION_BYTES) throw new RangeError('bad cursor');
  const limit = Math.max(1, Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE));
  const reverse = q.reverse === true;
  const head = new Uint8Array(2 + (subject === null ? 0 : SUBJECT_BYTES));
  head[0] = Prefix.INDEX;
  head[1] = name;
  if (subject !== null) head.set(subject, 2);
  const after = q.cursor != null ? readCursor(q.cursor) : null;
  const range: { gte?: Uint8Array; gt?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array } = {
    gte: q.from !== undefined ? withU64s(head, q.from) : head,
    lt: q.to !== undefined ? withU64s(head, q.to) : prefixEnd(head),
  };
  const entries: IndexEntry[] = [];
  const budget = filter === undefined ? Number.POSITIVE_INFINITY : Math.max(limit, q.maxScan ?? MAX_SCAN);
  let scanned = 0;
  let last: Position | undefined;
  /** Adds a group's rows past the cursor; returns the page once it is full and more follow. */
  const take = (rows: readonly GroupRow[], time: number, height: number): IndexPage | null => {
    let start = reverse ? rows.length - 1 : 0;
    if (after !== null && after.time === time && after.height === height) {
      const i = firstAfter(rows, after.receipt, after.seq);
      start = reverse ? i - 1 : i;
    }
    for (let i = start; reverse ? i >= 0 : i < rows.length; reverse ? i-- : i++) {
      const [receipt, seq, type, txHash, attrs] = rows[i] as GroupRow;
      const e: IndexEntry = { time, height, receipt, seq, type, txHash, attrs };
      if (after !== null && (reverse ? cmp(e, after) >= 0 : cmp(e, after) <= 0)) continue;
      // Out of budget: stop before this entry; the next call resumes right after the last one visited.
      if (scanned === budget) return { entries, cursor: writeCursor(last as Position), scanned };
      scanned++;
      last = e;
      if (filter !== undefined && !filter(e)) continue;
      if (entries.length === limit) return { entries, cursor: writeCursor(entries[limit - 1] as IndexEntry), scanned };
      entries.push(e);
    }
    return null;
  };
  if (after !== null) {
    // resume inside the cursor's block group, skipping what the last page returned
    const gk = withU64s(head, after.time, after.height);
    const cached = cachedGroup(db, gk);
    const page = cached === undefined ? null : take(cached, after.time, after.height);
    if (page !== null) return page;
    // A cached group is done with: the scan starts past it, else at it.
    if (reverse) {
      if (range.lt === undefined || compareBytes(gk, range.lt) < 0) {
        delete range.lt;
        if (cached === undefined) range.lte = gk;
        else range.lt = gk;
      }
    } else if (
      compareBytes(gk, range.gte as Uint8Array) > 0 ||
      (cached !== undefined && compareBytes(gk, range.gte as Uint8Array) === 0)
    ) {
      delete range.gte;
      if (cached === undefined) range.gte = gk;
      else range.gt = gk;
    }
  }
  for await (const [k, v] of db.iterator({ ...range, reverse })) {
    const dv = new DataView(k.buffer, k.byteOffset + head.length, GROUP_BYTES);
    const time = dv.getUint32(0) * 0x100000000 + dv.getUint32(4);
    const height = dv.getUint32(8) * 0x100000000 + dv.getUint32(12);
    const rows = decode(v) as GroupRow[];
    const page = take(rows, time, height);
    if (page === null) continue;
    if (v.length >= LARGE_GROUP_BYTES) cacheGroup(db, k, rows);
    return page;
  }
  return { entries, cursor: null, scanned };
}

/**
 * One page over pages of several indexes read from the same cursor: entries merged in chain
 * order (one listed by two indexes appears once) and cut where the first source stopped (its
 * page full or its scan budget spent: beyond that, its entries are not known yet) and at `limit`.
 * The cursor resumes right there, or is null when every source is done.
 */
export function mergePages(pages: readonly IndexPage[], limit: number, reverse = false): IndexPage {
  const before = (a: Position, b: Position): boolean => (reverse ? cmp(a, b) > 0 : cmp(a, b) < 0);
  let bound: Position | null = null;
  for (const p of pages) {
    if (p.cursor === null) continue;
    const c = readCursor(p.cursor);
    if (bound === null || before(c, bound)) bound = c;
  }
  const scanned = pages.reduce((n, p) => n + p.scanned, 0);
  const all = pages.flatMap((p) => p.entries);
  all.sort((a, b) => (reverse ? cmp(b, a) : cmp(a, b)));
  const entries: IndexEntry[] = [];
  for (const e of all) {
    if (bound !== null && before(bound, e)) break;
    const prev = entries[entries.length - 1];
    if (prev !== undefined && cmp(prev, e) === 0) continue;
    if (entries.length === limit) return { entries, cursor: writeCursor(prev as IndexEntry), scanned };
    entries.push(e);
  }
  return { entries, cursor: bound === null ? null : writeCursor(bound), scanned };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function namesRecord(records: EventValue | undefined, record: Uint8Array): boolean {
  if (!(records instanceof Uint8Array)) return false;
  outer: for (let o = 0; o + 32 <= records.length; o += 32) {
    for (let i = 0; i < 32; i++) if (records[o + i] !== record[i]) continue outer;
    return true;
  }
  return false;
}

// ---- the named queries ----

/** A patient's accounting of disclosures: who accessed which records, when, why, the outcome, emergency or not. */
export const disclosures = (db: Db, patient: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.DISCLOSURES, patient, q);
export const accessesByGrantee = (db: Db, grantee: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.ACCESS_BY_GRANTEE, grantee, q);
/** Accesses naming a record: its patient's disclosures filtered to the record (no per-access put of its own). */
export async function accessesByRecord(db: Db, record: Uint8Array, q?: IndexQuery): Promise<IndexPage> {
  if (record.length !== SUBJECT_BYTES) throw new RangeError('record must be 32 bytes');
  const patient = await db.get(recordOwnerKey(record));
  if (patient === undefined) return { entries: [], cursor: null, scanned: 0 };
  return queryIndex(
    db,
    IndexName.DISCLOSURES,
    patient,
    q,
    (e) => e.type === 'access' && namesRecord(e.attrs.records, record),
  );
}
/** Denials, emergencies, overdue reviews, suspensions, blocked erasures; chain-wide or for one grantee. */
export const flags = (db: Db, q?: IndexQuery) => queryIndex(db, IndexName.FLAGS, null, q);
export const flagsByGrantee = (db: Db, grantee: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.FLAGS_BY_GRANTEE, grantee, q);
export const consentsByPatient = (db: Db, patient: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.CONSENTS_BY_PATIENT, patient, q);
export const consentsByGrantee = (db: Db, grantee: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.CONSENTS_BY_GRANTEE, grantee, q);
export const recordsByPatient = (db: Db, patient: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.RECORDS_BY_PATIENT, patient, q);
export const credentialsByPractitioner = (db: Db, practitioner: Uint8Array, q?: IndexQuery) =>
  queryIndex(db, IndexName.CREDENTIALS_BY_PRACTITIONER, practitioner, q);

/** An organization's emergency sessions (its review queue) and the practitioners and patients it registered. */
export const byOrganization = (db: Db, org: Uint8Array, q?: IndexQuery, filter?: (e: IndexEntry) => boolean) =>
  queryIndex(db, IndexName.BY_ORG, org, q, filter);

/** Validator governance, chain-wide: proposals, votes, approvals, activations and skips. */
export const governance = (db: Db, q?: IndexQuery, filter?: (e: IndexEntry) => boolean) =>
  queryIndex(db, IndexName.GOVERNANCE, null, q, filter);

// ---- rebuild ----

/**
 * Drops every index entry and rewrites them from stored blocks, in order.
 * `blocks` yields what the node stored per height (txs and receipts).
 * Returns the number of blocks indexed.
 */
export async function rebuildIndexes(
  db: Db,
  blocks: AsyncIterable<IndexedBlock> | Iterable<IndexedBlock>,
  opsPerBatch = 50_000,
): Promise<number> {
  await db.clear({ gte: Uint8Array.of(Prefix.INDEX), lt: Uint8Array.of(Prefix.INDEX + 1) });
  let ops: BatchOp[] = [];
  let n = 0;
  for await (const b of blocks) {
    indexOps(b, ops);
    n++;
    if (ops.length >= opsPerBatch) {
      await db.batch(ops);
      ops = [];
    }
  }
  if (ops.length > 0) await db.batch(ops);
  return n;
}
