/**
 * Who may see what, judged from committed state (never from configuration): a call or an event is
 * about some subjects, and a signed-in identity sees it when the chain relates it to one of them.
 * The operator sees everything and is never asked; the public sees only what a rule marks public.
 */
import { equal } from '../../src/codec/bytes.js';
import { IdentityType } from '../../src/tx/kinds.js';
import { consentKey, emergencyPairKey, identityKeyRO, recordKey } from '../../state/domain/keys.js';
import { consentDead, isLiveDelegate } from '../../state/domain/rules.js';
import {
  C_RECORDS,
  C_TYPES,
  decodeConsents,
  decodeIdentity,
  decodeRecord,
  decodeTuple,
} from '../../state/domain/values.js';
import type { StateView } from '../../state/exec/view.js';
import type { Session } from '../auth/caller.js';
import { getIdentity, idOf, readState } from './domain.js';
import type { NodeApi } from './types.js';

/** An id as bytes, or as the 0x hex a param carried (decoded only if needed; memoized by it). */
export type IdRef = Uint8Array | string;

export type Subject =
  /** A patient's own data: the patient, or a live delegate (guardian, proxy) acting for them. */
  | { readonly kind: 'patient'; readonly id: IdRef }
  /** An identity's own doing (a signer, a grantee): itself, or the organization employing it (practitioners). */
  | { readonly kind: 'party'; readonly id: IdRef }
  /** That organization only (a record's custodian). */
  | { readonly kind: 'org'; readonly id: IdRef }
  /** A record's metadata: a grantee holding a live consent in scope of it, or a live break-glass session on its patient. */
  | { readonly kind: 'grantee'; readonly patient: Uint8Array; readonly record: Uint8Array; readonly type: number }
  /** A record's subjects (recordSubjects), read from state only if the subjects before it did not already allow. */
  | { readonly kind: 'record'; readonly id: IdRef; readonly grantees: boolean }
  /**
   * What one key signed (a tx): a key session of that key, while the signer has no identity (a
   * failed registration) or the key is still its current, unsuspended key, so a key once rotated
   * away or suspended reads nothing through this door that its sign-in could not.
   */
  | { readonly kind: 'signedBy'; readonly pubkey: Uint8Array; readonly signer: Uint8Array };

const bytesOf = (x: IdRef): Uint8Array => (typeof x === 'string' ? idOf(x) : x);

function view(api: NodeApi): StateView {
  const store = api.chain.store;
  return { get: (k: Uint8Array) => store.get(k), has: (k: Uint8Array) => store.get(k) !== undefined } as StateView;
}

function decide(api: NodeApi, me: Session, s: Subject): boolean {
  // A key session reads what its key signed, nothing else; identities never through this kind.
  if ((me.role === 'key') !== (s.kind === 'signedBy')) return false;
  const id = me.identity;
  switch (s.kind) {
    case 'signedBy': {
      if (!equal(me.pubkey, s.pubkey)) return false;
      const signer = getIdentity(api, s.signer);
      return signer === undefined || (equal(signer.pubkey, s.pubkey) && !signer.suspended);
    }
    case 'patient': {
      const sid = bytesOf(s.id);
      return equal(id, sid) || isLiveDelegate(view(api), sid, id, api.chain.head.time);
    }
    case 'party': {
      const sid = bytesOf(s.id);
      if (equal(id, sid)) return true;
      if (me.role !== 'organization') return false;
      // Its staff only: a patient's onboarding organization does not read what the patient signs.
      const v = api.chain.store.get(identityKeyRO(sid));
      const who = v === undefined ? undefined : decodeIdentity(v);
      return who !== undefined && who.type === IdentityType.PRACTITIONER && equal(who.org, id);
    }
    case 'record':
      return mayReadAny(api, me, recordSubjects(api, bytesOf(s.id), s.grantees));
    case 'org':
      return me.role === 'organization' && equal(id, bytesOf(s.id));
    case 'grantee': {
      if (me.role === 'patient') return false;
      const time = api.chain.head.time;
      const pair = readState(api, emergencyPairKey(id, s.patient));
      if (pair !== undefined && time < ((decodeTuple(pair) as [Uint8Array, number])[1] ?? 0)) return true;
      const v = readState(api, consentKey(s.patient, id));
      if (v === undefined) return false;
      for (const c of decodeConsents(v)) {
        if (consentDead(c, time)) continue;
        if ((c[C_TYPES] >>> s.type) & 1 || c[C_RECORDS].some((r) => equal(r, s.record))) return true;
      }
      return false;
    }
  }
}

/**
 * Decisions of one session at one head, by subject kind and param hex: an EHR gateway checking its
 * staff over and over pays the state reads once per block. Bounded; dropped when the head moves.
 */
interface Memo {
  at: unknown;
  size: number;
  /** By subject kind (a record's with grantees apart), then id hex: fixed fields, no lookup by kind. */
  patient: Map<string, boolean>;
  party: Map<string, boolean>;
  org: Map<string, boolean>;
  record: Map<string, boolean>;
  recordGrantees: Map<string, boolean>;
}
const memos = new WeakMap<Session, Memo>();
const MEMO_MAX = 4096;

const freshMemo = (at: unknown): Memo => ({
  at,
  size: 0,
  patient: new Map(),
  party: new Map(),
  org: new Map(),
  record: new Map(),
  recordGrantees: new Map(),
});

export function mayRead(api: NodeApi, me: Session, s: Subject): boolean {
  if (s.kind === 'grantee' || s.kind === 'signedBy' || typeof s.id !== 'string') return decide(api, me, s);
  const head = api.chain.head;
  let memo = memos.get(me);
  if (memo === undefined || memo.at !== head || memo.size >= MEMO_MAX) {
    memo = freshMemo(head);
    memos.set(me, memo);
  }
  const m = s.kind === 'record' ? (s.grantees ? memo.recordGrantees : memo.record) : memo[s.kind];
  const hit = m.get(s.id);
  if (hit !== undefined) return hit;
  const v = decide(api, me, s);
  m.set(s.id, v);
  memo.size++;
  return v;
}

export function mayReadAny(api: NodeApi, me: Session, subjects: readonly Subject[]): boolean {
  for (let i = 0; i < subjects.length; i++) if (mayRead(api, me, subjects[i] as Subject)) return true;
  return false;
}

/** A record's subjects: its patient, its custodian (metadata), grantees it is shared with. */
export function recordSubjects(api: NodeApi, record: Uint8Array, grantees = true): Subject[] {
  const v = readState(api, recordKey(record));
  if (v === undefined) return [];
  const r = decodeRecord(v);
  const out: Subject[] = [
    { kind: 'patient', id: r.patient },
    { kind: 'org', id: r.custodian },
  ];
  if (grantees) out.push({ kind: 'grantee', patient: r.patient, record, type: r.resourceType });
  return out;
}

/** An identity's subjects: professionals are public (null); a patient is read by self, delegates, the onboarding organization. */
export function identitySubjects(api: NodeApi, id: Uint8Array): Subject[] | null {
  const i = getIdentity(api, id);
  if (i === undefined) return [];
  if (i.type !== IdentityType.PATIENT) return null;
  return [
    { kind: 'patient', id },
    { kind: 'org', id: i.org },
  ];
}

/** Event ids as bytes, or as the lowercase 0x hex of published JSON (kept as hex: decoded only on a memo miss). */
const asId = (v: unknown): IdRef | null =>
  v instanceof Uint8Array && v.length === 32
    ? v
    : typeof v === 'string' && v.length === 66 && v.startsWith('0x')
      ? v
      : null;

/** Event attributes that name whom the event is about. */
const PATIENT_ATTRS = ['patient'] as const;
const PARTY_ATTRS = ['grantee', 'practitioner', 'id', 'delegate'] as const;
const ORG_ATTRS = ['custodian', 'org', 'issuer'] as const;

/** The subjects of one event (attrs as bytes or 0x hex); empty: it names no one (governance, evidence). */
export function eventSubjects(attrs: Readonly<Record<string, unknown>>): Subject[] {
  const out: Subject[] = [];
  for (const k of PATIENT_ATTRS) {
    const id = asId(attrs[k]);
    if (id !== null) out.push({ kind: 'patient', id });
  }
  for (const k of PARTY_ATTRS) {
    const id = asId(attrs[k]);
    if (id !== null) out.push({ kind: 'party', id });
  }
  for (const k of ORG_ATTRS) {
    const id = asId(attrs[k]);
    if (id !== null) out.push({ kind: 'org', id });
  }
  return out;
}
