import { type ChainEvent, type EventValue, type Receipt, TxStatus } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import { offset, reset, take } from '../../src/codec/cbor-writer.js';
import { IdentityType } from '../../src/tx/kinds.js';
import { identityKey } from '../domain/keys.js';
import { decodeIdentity } from '../domain/values.js';
import { mapKey } from '../exec/keys.js';
import { type BatchOp, Prefix } from '../store/db.js';
import { groupValue, writeIndexEntry } from './value.js';

/**
 * Derived audit indexes (never part of consensus): written from a block's
 * txs and receipts as LevelDB ops in the block's batch, rebuildable from
 * stored blocks. One key per (index, subject, block):
 *   'x' + index(1) + [subject(32)] + time(u64be) + height(u64be)
 * so a subject's entries are contiguous and in block-time order and a time
 * range is a key range; the value is the block's entries for that subject,
 * CBOR [[receipt, seq, eventType, txHash, attrs], ...] in block order.
 * Grouping per block keeps LevelDB puts per access low (one per patient, one
 * per grantee and block): the put count, not the bytes, is what a batch costs.
 */
export const IndexName = {
  /** Accounting of disclosures: accesses to a patient's records, emergencies opened on them. */
  DISCLOSURES: 0x44, // 'D' + patient
  ACCESS_BY_GRANTEE: 0x47, // 'G' + grantee
  FLAGS_BY_GRANTEE: 0x46, // 'F' + grantee: denials, emergencies, suspensions
  FLAGS: 0x66, // 'f' (no subject): the same and blocked erasures, chain-wide
  CONSENTS_BY_PATIENT: 0x43, // 'C' + patient
  CONSENTS_BY_GRANTEE: 0x63, // 'c' + grantee
  RECORDS_BY_PATIENT: 0x50, // 'P' + patient
  CREDENTIALS_BY_PRACTITIONER: 0x4c, // 'L' + practitioner
  /**
   * An organization's emergency sessions (opened, denied, reviewed, overdue), the identities it
   * registered, and its practitioners' accesses (its disclosures report).
   */
  BY_ORG: 0x4f, // 'O' + organization
  /** A patient's delegates (guardians, proxies): set and revoked. */
  DELEGATES_BY_PATIENT: 0x64, // 'd' + patient
  /** Validator governance (no subject): proposals, votes, approvals, activations; public. */
  GOVERNANCE: 0x67, // 'g'
} as const;
export type IndexName = (typeof IndexName)[keyof typeof IndexName];

/**
 * 'x' 'r' + record -> patient (written once, at record.added). Accesses by
 * record are the patient's disclosures that name the record, so an access
 * costs no third put.
 */
export const RECORD_OWNER = 0x72;

export const SUBJECT_BYTES = 32;
/** A position: time + height + receipt index + event seq (the page cursor). */
export const POSITION_BYTES = 22;
/** What a key holds after the subject: time + height. */
export const GROUP_BYTES = 16;

export interface IndexedBlock {
  height: number;
  /** Block time, ms. */
  time: number;
  txs: readonly Tx[];
  /** One per tx, then possibly one block-level receipt (endBlock events). */
  receipts: readonly Receipt[];
  /** Committed state before this block: who employs a practitioner (accesses carry no organization). */
  read?: (key: Uint8Array) => Uint8Array | undefined;
}

const ZERO_HASH = new Uint8Array(32);

export function putU32(k: Uint8Array, o: number, n: number): void {
  k[o] = n >>> 24;
  k[o + 1] = n >>> 16;
  k[o + 2] = n >>> 8;
  k[o + 3] = n;
}

/** u64 as two u32 halves: block times and heights stay below 2^53. */
export function putU64(k: Uint8Array, o: number, n: number): void {
  putU32(k, o, Math.floor(n / 0x100000000));
  putU32(k, o + 4, n >>> 0);
}

/** The key of one (index, subject, block) group (subject null for chain-wide indexes). */
export function indexKey(name: number, subject: Uint8Array | null, time: number, height: number): Uint8Array {
  const s = subject === null ? 0 : subject.length;
  const k = new Uint8Array(2 + s + GROUP_BYTES);
  k[0] = Prefix.INDEX;
  k[1] = name;
  if (subject !== null) k.set(subject, 2);
  putU64(k, 2 + s, time);
  putU64(k, 10 + s, height);
  return k;
}

export function recordOwnerKey(record: Uint8Array): Uint8Array {
  const k = new Uint8Array(2 + SUBJECT_BYTES);
  k[0] = Prefix.INDEX;
  k[1] = RECORD_OWNER;
  k.set(record, 2);
  return k;
}

const bytesAttr = (a: Record<string, EventValue>, name: string): Uint8Array | null => {
  const v = a[name];
  return v instanceof Uint8Array && v.length === SUBJECT_BYTES ? v : null;
};

/** The (index, subject) pairs of one event, in two reused arrays (no tuple per target). */
class Targets {
  readonly names: IndexName[] = [];
  readonly subjects: (Uint8Array | null)[] = [];
  n = 0;
  push(name: IndexName, subject: Uint8Array | null): void {
    this.names[this.n] = name;
    this.subjects[this.n] = subject;
    this.n++;
  }
}

/** A practitioner's employing organization, or null (unknown, or not a practitioner). */
type OrgOf = (practitioner: Uint8Array) => Uint8Array | null;

/**
 * Employers from this block's registrations first (a practitioner may be registered and act in
 * one block), then from committed state. A practitioner's organization never changes.
 */
function employers(read: IndexedBlock['read']): { orgOf: OrgOf; registered: Map<string, Uint8Array> } {
  const registered = new Map<string, Uint8Array>();
  // A busy practitioner accesses many times per block: one state read and decode each.
  const known = new Map<string, Uint8Array | null>();
  const orgOf: OrgOf = (id) => {
    const k = mapKey(id);
    const local = registered.get(k);
    if (local !== undefined) return local;
    let org = known.get(k);
    if (org === undefined) {
      const v = read?.(identityKey(id));
      const i = v === undefined ? undefined : decodeIdentity(v);
      org = i?.type === IdentityType.PRACTITIONER && i.org.length === SUBJECT_BYTES ? i.org : null;
      known.set(k, org);
    }
    return org;
  };
  return { orgOf, registered };
}

/** The (index, subject) pairs an event is listed under. */
function targets(e: ChainEvent, out: Targets, orgOf: OrgOf): void {
  const a = e.attrs;
  const patient = bytesAttr(a, 'patient');
  const grantee = bytesAttr(a, 'grantee');
  switch (e.type) {
    case 'access':
      out.push(IndexName.DISCLOSURES, patient);
      out.push(IndexName.ACCESS_BY_GRANTEE, grantee);
      out.push(IndexName.BY_ORG, grantee === null ? null : orgOf(grantee));
      if (a.granted !== true || a.emergency === true) {
        out.push(IndexName.FLAGS_BY_GRANTEE, grantee);
        out.push(IndexName.FLAGS, null);
      }
      return;
    case 'emergency.opened':
    case 'emergency.denied':
    case 'emergency.reviewed':
    case 'emergency.overdue':
      out.push(IndexName.DISCLOSURES, patient);
      out.push(IndexName.ACCESS_BY_GRANTEE, grantee);
      out.push(IndexName.FLAGS_BY_GRANTEE, grantee);
      out.push(IndexName.FLAGS, null);
      out.push(IndexName.BY_ORG, bytesAttr(a, 'org'));
      return;
    case 'identity.registered':
      // The organization's staff and onboarded patients (an organization's own registration names no org).
      out.push(IndexName.BY_ORG, bytesAttr(a, 'org'));
      return;
    case 'grantee.suspended':
    case 'grantee.reinstated':
      out.push(IndexName.FLAGS_BY_GRANTEE, grantee);
      out.push(IndexName.FLAGS, null);
      return;
    case 'consent.granted':
    case 'consent.revoked':
      out.push(IndexName.CONSENTS_BY_PATIENT, patient);
      out.push(IndexName.CONSENTS_BY_GRANTEE, grantee);
      return;
    case 'record.added':
    case 'record.erased':
    case 'record.deletion_attested':
    case 'record.hold':
      out.push(IndexName.RECORDS_BY_PATIENT, patient);
      return;
    case 'record.erase_blocked':
      out.push(IndexName.RECORDS_BY_PATIENT, patient);
      out.push(IndexName.FLAGS, null);
      return;
    case 'delegate.set':
    case 'delegate.revoked':
      out.push(IndexName.DELEGATES_BY_PATIENT, patient);
      return;
    case 'governance.proposed':
    case 'governance.voted':
    case 'governance.approved':
    case 'governance.applied':
    case 'governance.skipped':
      out.push(IndexName.GOVERNANCE, null);
      return;
    case 'credential.issued':
    case 'credential.revoked':
      out.push(IndexName.CREDENTIALS_BY_PRACTITIONER, bytesAttr(a, 'practitioner'));
      return;
    default:
      return;
  }
}

interface Group {
  name: IndexName;
  subject: Uint8Array | null;
  /** Entry numbers in this block's entry buffer, in block order. */
  entries: number[];
}

/** Appends the index ops of one executed block to the block's batch. */
export function indexOps(block: IndexedBlock, ops: BatchOp[]): void {
  const { height, time, txs, receipts } = block;
  const { orgOf, registered } = employers(block.read);
  // Groups in first-use order, found per index by subject.
  const groups: Group[] = [];
  const byName = new Map<IndexName, Map<string, Group>>();
  const tgt = new Targets();
  // Every entry of the block is written into one buffer (the CBOR writer's); entry i is [starts[i], ends[i]).
  // Until take() below nothing else may use the writer: orgOf only reads state.
  const starts: number[] = [];
  const ends: number[] = [];
  reset();
  for (let r = 0; r < receipts.length; r++) {
    const receipt = receipts[r] as Receipt;
    if (receipt.status === TxStatus.FAILED) continue; // a failed tx has no events
    const txHash = r < txs.length ? (txs[r] as Tx).hash : ZERO_HASH;
    const events = receipt.events;
    for (let s = 0; s < events.length; s++) {
      const e = events[s] as ChainEvent;
      tgt.n = 0;
      if (e.type === 'identity.registered' && e.attrs.identityType === 'practitioner') {
        const id = bytesAttr(e.attrs, 'id');
        const org = bytesAttr(e.attrs, 'org');
        if (id !== null && org !== null) registered.set(mapKey(id), org);
      }
      targets(e, tgt, orgOf);
      if (e.type === 'record.added') {
        const rec = bytesAttr(e.attrs, 'record');
        const patient = bytesAttr(e.attrs, 'patient');
        if (rec !== null && patient !== null) ops.push({ type: 'put', key: recordOwnerKey(rec), value: patient });
      }
      if (tgt.n === 0) continue;
      const entry = starts.length;
      starts.push(offset());
      writeIndexEntry(r, s, e.type, txHash, e.attrs);
      ends.push(offset());
      for (let t = 0; t < tgt.n; t++) {
        const name = tgt.names[t] as IndexName;
        const subject = tgt.subjects[t] as Uint8Array | null;
        // Chain-wide indexes have no subject; elsewhere a missing subject lists nothing.
        if (subject === null && name !== IndexName.FLAGS && name !== IndexName.GOVERNANCE) continue;
        let m = byName.get(name);
        if (m === undefined) {
          m = new Map();
          byName.set(name, m);
        }
        const sk = subject === null ? '' : mapKey(subject);
        const g = m.get(sk);
        if (g === undefined) {
          const created: Group = { name, subject, entries: [entry] };
          m.set(sk, created);
          groups.push(created);
        } else g.entries.push(entry);
      }
    }
  }
  if (groups.length === 0) return;
  const slab = take();
  for (const g of groups)
    ops.push({
      type: 'put',
      key: indexKey(g.name, g.subject, time, height),
      value: groupValue(slab, starts, ends, g.entries),
    });
}
