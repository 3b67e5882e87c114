/**
 * Who may see what, judged from committed state (never from configuration): a call or an event is
 * about some subjects, and a signed-in identity sees it when the chain relates it to one of them.
 * The operator sees everything and is never asked; the public sees only what a rule marks public.
 */
import { equal } from '../../src/codec/bytes.js';
import { IdentityType } from '../../src/tx/kinds.js';
import { consentKey, emergencyPairKey, recordKey } from '../../state/domain/keys.js';
import { consentDead, isLiveDelegate } from '../../state/domain/rules.js';
import { C_RECORDS, C_TYPES, decodeConsents, decodeRecord, decodeTuple } from '../../state/domain/values.js';
import type { StateView } from '../../state/exec/view.js';
import type { Session } from '../auth/caller.js';
import { getIdentity, idOf, readState } from './domain.js';
import type { NodeApi } from './types.js';

export type Subject =
  /** A patient's own data: the patient, or a live delegate (guardian, proxy) acting for them. */
  | { readonly kind: 'patient'; readonly id: Uint8Array }
  /** A practitioner's or organization's data: itself, or the organization it belongs to (its staff, its patients' onboarding). */
  | { readonly kind: 'party'; readonly id: Uint8Array }
  /** That organization only (a record's custodian). */
  | { readonly kind: 'org'; readonly id: Uint8Array }
  /** A record's metadata: a grantee holding a live consent in scope of it, or a live break-glass session on its patient. */
  | { readonly kind: 'grantee'; readonly patient: Uint8Array; readonly record: Uint8Array; readonly type: number };

export const subjectId = (s: Subject): Uint8Array => (s.kind === 'grantee' ? s.record : s.id);

function view(api: NodeApi): StateView {
  const store = api.chain.store;
  return { get: (k: Uint8Array) => store.get(k), has: (k: Uint8Array) => store.get(k) !== undefined } as StateView;
}

export function mayRead(api: NodeApi, me: Session, s: Subject): boolean {
  const id = me.identity;
  switch (s.kind) {
    case 'patient':
      return equal(id, s.id) || isLiveDelegate(view(api), s.id, id, api.chain.head.time);
    case 'party': {
      if (equal(id, s.id)) return true;
      if (me.role !== 'organization') return false;
      const who = getIdentity(api, s.id);
      return who !== undefined && who.org.length === 32 && equal(who.org, id);
    }
    case 'org':
      return me.role === 'organization' && equal(id, s.id);
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

export const mayReadAny = (api: NodeApi, me: Session, subjects: readonly Subject[]): boolean =>
  subjects.some((s) => mayRead(api, me, s));

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
    { kind: 'party', id },
  ];
}

const asId = (v: unknown): Uint8Array | null =>
  v instanceof Uint8Array && v.length === 32
    ? v
    : typeof v === 'string' && v.length === 66 && v.startsWith('0x')
      ? idOf(v)
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
