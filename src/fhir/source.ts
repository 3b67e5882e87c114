/**
 * What the facade reads from a node: pages of the audit indexes (merged over the subject's
 * indexes in chain order, cursor-based, so a page costs the same however long the history), the
 * consent and record state they point to, and single entries by position. Reads are synchronous
 * against the committed state, so one page describes one head.
 */

import { loadBlock } from '../../rpc/api/chain.js';
import { consentStatus, consentToJson } from '../../rpc/api/consent.js';
import { getIdentity, readState } from '../../rpc/api/domain.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { splitIds } from '../../state/domain/handler.js';
import { consentKey, recordKey } from '../../state/domain/keys.js';
import { C_ID, type ConsentEntry, decodeConsents, decodeRecord, RecordFlag } from '../../state/domain/values.js';
import { IndexName, recordOwnerKey } from '../../state/index/index.js';
import { type IndexEntry, queryIndex } from '../../state/index/query.js';
import { decodeReceipt, TxStatus } from '../chain/receipt.js';
import { decodeTx } from '../chain/tx.js';
import { equal } from '../codec/bytes.js';
import { IDENTITY_TYPE_NAMES, RESOURCE_TYPES, TxKind } from '../tx/kinds.js';
import { isAudited } from './audit-event.js';
import type { IdentityKind } from './refs.js';
import type { ConsentView } from './resources.js';
import type { TimeRange } from './search.js';

const POSITION_BYTES = 22;

export function cursorOf(e: IndexEntry): Uint8Array {
  const c = new Uint8Array(POSITION_BYTES);
  const dv = new DataView(c.buffer);
  dv.setUint32(0, Math.floor(e.time / 0x100000000));
  dv.setUint32(4, e.time >>> 0);
  dv.setUint32(8, Math.floor(e.height / 0x100000000));
  dv.setUint32(12, e.height >>> 0);
  dv.setUint32(16, e.receipt);
  dv.setUint16(20, e.seq);
  return c;
}

const order = (a: IndexEntry, b: IndexEntry): number =>
  a.time - b.time || a.height - b.height || a.receipt - b.receipt || a.seq - b.seq;

export interface Source {
  name: IndexName;
  subject: Uint8Array;
}

export interface Page {
  entries: IndexEntry[];
  /** Position of the last entry when more may follow, else null. */
  cursor: Uint8Array | null;
}

/** Index entries a page may examine per index beyond its matches: bounds a rare filter's scan. */
export const scanBudget = (limit: number): number => Math.max(1000, 10 * limit);

/**
 * One page over several indexes of a subject, from the same cursor: each index yields at most
 * `limit` matches, the union is merged in chain order, de-duplicated by position and cut.
 *
 * A filter runs inside the index scan, so a filter that rarely matches would scan far: each index
 * examines at most `budget` entries per page. An index that runs out of budget stops at the last
 * entry it examined; the page then holds only entries up to the earliest such stop (where every
 * index is complete) and its cursor resumes there, so a page may be short, even empty, with a
 * next link: the cost of a request is bounded whatever the history and the filter.
 */
export async function mergedPage(
  api: NodeApi,
  sources: readonly Source[],
  range: TimeRange | undefined,
  limit: number,
  cursor: Uint8Array | null,
  filter: (e: IndexEntry) => boolean,
  budget = scanBudget(limit),
): Promise<Page> {
  const q = {
    limit,
    cursor,
    ...(range?.from === undefined ? {} : { from: range.from }),
    ...(range?.to === undefined ? {} : { to: range.to }),
  };
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from) return { entries: [], cursor: null };
  // Per index: the last entry examined within budget once the budget ran out (null: not cut).
  const stops: (IndexEntry | null)[] = sources.map(() => null);
  const pages = await Promise.all(
    sources.map((s, i) => {
      let examined = 0;
      let over = false;
      let last: IndexEntry | null = null;
      return queryIndex(api.chain.db, s.name, s.subject, q, (e) => {
        // Past the budget every entry is accepted unchecked, which ends the scan within `limit`
        // more; those entries lie beyond the stop and are dropped below.
        if (over) return true;
        if (++examined > budget) {
          over = true;
          stops[i] = last;
          return true;
        }
        last = e;
        return filter(e);
      });
    }),
  );
  let cut: IndexEntry | null = null;
  for (const st of stops) if (st !== null && (cut === null || order(st, cut) < 0)) cut = st;
  const all = pages
    .flatMap((p) => p.entries)
    .filter((e) => cut === null || order(e, cut) <= 0)
    .sort(order);
  const entries: IndexEntry[] = [];
  for (const e of all) {
    const last = entries[entries.length - 1];
    if (last !== undefined && order(last, e) === 0) continue;
    entries.push(e);
  }
  const out = entries.slice(0, limit);
  const tail = out[out.length - 1];
  if (cut !== null) {
    // Everything up to the cut is complete: resume after the last entry returned, or after the cut.
    const at = out.length === limit && tail !== undefined ? tail : cut;
    return { entries: out, cursor: cursorOf(at) };
  }
  const more = entries.length > limit || pages.some((p) => p.cursor !== null);
  return { entries: out, cursor: more && tail !== undefined ? cursorOf(tail) : null };
}

export const patientSources = (p: Uint8Array): Source[] => [
  { name: IndexName.DISCLOSURES, subject: p },
  { name: IndexName.CONSENTS_BY_PATIENT, subject: p },
  { name: IndexName.RECORDS_BY_PATIENT, subject: p },
];

export const agentSources = (g: Uint8Array): Source[] => [
  { name: IndexName.ACCESS_BY_GRANTEE, subject: g },
  { name: IndexName.CONSENTS_BY_GRANTEE, subject: g },
  { name: IndexName.FLAGS_BY_GRANTEE, subject: g },
];

/** The patient a record belongs to (the index's record → patient key), or undefined. */
export async function ownerOf(api: NodeApi, record: Uint8Array): Promise<Uint8Array | undefined> {
  const v = await api.chain.db.get(recordOwnerKey(record));
  return v === undefined ? undefined : new Uint8Array(v);
}

/** Whether an event names `record` (as `record` or among `records`). */
export function namesRecord(e: IndexEntry, record: Uint8Array): boolean {
  const r = e.attrs.record;
  if (r instanceof Uint8Array && equal(r, record)) return true;
  const rs = e.attrs.records;
  return rs instanceof Uint8Array && splitIds(rs).some((x) => equal(x, record));
}

export function kindOf(api: NodeApi, id: Uint8Array): IdentityKind | undefined {
  const i = getIdentity(api, id);
  if (i === undefined) return undefined;
  const n = IDENTITY_TYPE_NAMES[i.type];
  return n === 'patient'
    ? 'Patient'
    : n === 'practitioner'
      ? 'Practitioner'
      : n === 'organization'
        ? 'Organization'
        : undefined;
}

/** A consent.granted entry joined with the pair's consents in state ('removed' once dropped). */
export function consentOfGrant(api: NodeApi, e: IndexEntry, headTime: number): ConsentView | null {
  const a = e.attrs;
  const patient = a.patient;
  const grantee = a.grantee;
  const id = a.consent;
  if (!(patient instanceof Uint8Array && grantee instanceof Uint8Array && id instanceof Uint8Array)) return null;
  const v = readState(api, consentKey(patient, grantee));
  const entry = v === undefined ? undefined : decodeConsents(v).find((c) => equal(c[C_ID], id));
  if (entry !== undefined) return consentToJson(patient, grantee, entry, consentStatus(entry, headTime));
  const c: ConsentEntry = [
    id,
    a.records instanceof Uint8Array ? splitIds(a.records) : [],
    Number(a.types),
    Number(a.actions),
    Number(a.purposes),
    Number(a.notBefore),
    Number(a.expiresAt),
    0,
  ];
  return consentToJson(patient, grantee, c, 'removed');
}

export interface RecordState {
  resourceType: string;
  erased: boolean;
  erasedAt: number;
  commitment: Uint8Array | null;
  author: Uint8Array;
  custodian: Uint8Array;
  patient: Uint8Array;
  createdAt: number;
}

export function recordState(api: NodeApi, record: Uint8Array): RecordState | undefined {
  const v = readState(api, recordKey(record));
  if (v === undefined) return undefined;
  const r = decodeRecord(v);
  const erased = (r.flags & RecordFlag.ERASED) !== 0;
  return {
    resourceType: RESOURCE_TYPES[r.resourceType] ?? 'DocumentReference',
    erased,
    erasedAt: r.erasedAt,
    commitment: erased || r.commitment.length === 0 ? null : r.commitment,
    author: r.author,
    custodian: r.custodian,
    patient: r.patient,
    createdAt: r.createdAt,
  };
}

/** The consent.granted event of a consent id (its granting tx), or undefined when it granted nothing. */
export async function grantEntry(api: NodeApi, id: Uint8Array): Promise<IndexEntry | undefined> {
  const loc = await api.chain.blocks.getTxLocation(id);
  if (loc === undefined) return undefined;
  const { block } = await loadBlock(api, loc.height);
  const tx = decodeTx(block.txs[loc.index] as Uint8Array);
  if (tx.kind !== TxKind.GRANT_CONSENT) return undefined;
  // A grant that failed has no event: not found.
  return entryAt(api, loc.height, loc.index, undefined, (e) => e.type === 'consent.granted');
}

/**
 * The event at a chain position (height, receipt, seq), with its block time and tx hash; with
 * seq undefined, the first event of the receipt that `pick` accepts.
 */
export async function entryAt(
  api: NodeApi,
  height: number,
  receipt: number,
  seq: number | undefined,
  pick: (e: IndexEntry) => boolean = () => true,
): Promise<IndexEntry | undefined> {
  if (height < 1 || height > api.chain.head.height) return undefined;
  const receipts = await api.chain.blocks.getReceipts(height);
  const raw = receipts?.[receipt];
  if (raw === undefined) return undefined;
  const r = decodeReceipt(raw);
  if (r.status === TxStatus.FAILED) return undefined;
  const { block } = await loadBlock(api, height);
  const events = r.events;
  for (let s = seq ?? 0; s < (seq === undefined ? events.length : seq + 1); s++) {
    const ev = events[s];
    if (ev === undefined) return undefined;
    const e: IndexEntry = {
      time: block.header.time,
      height,
      receipt,
      seq: s,
      type: ev.type,
      txHash: r.txHash,
      attrs: ev.attrs,
    };
    if (pick(e)) return e;
  }
  return undefined;
}

/** Every audited event of one block, in chain order (the audit feed's unit). */
export async function blockEntries(api: NodeApi, height: number): Promise<IndexEntry[]> {
  const receipts = (await api.chain.blocks.getReceipts(height)) ?? [];
  if (receipts.length === 0) return [];
  const { block } = await loadBlock(api, height);
  const out: IndexEntry[] = [];
  receipts.forEach((raw, receipt) => {
    const r = decodeReceipt(raw);
    if (r.status === TxStatus.FAILED) return;
    r.events.forEach((ev, seq) => {
      if (isAudited(ev.type))
        out.push({ time: block.header.time, height, receipt, seq, type: ev.type, txHash: r.txHash, attrs: ev.attrs });
    });
  });
  return out;
}
