import { equal } from '../../src/codec/bytes.js';
import {
  Action,
  CredentialType,
  IdentityType,
  isEmergencyPurpose,
  MEDICATION_REQUEST,
  ReasonCode,
} from '../../src/tx/kinds.js';
import type { StateReader } from '../exec/view.js';
import { consentKeyRO, emergencyPairKey, identityKeyRO, recordKeyRO } from './keys.js';
import { COVERS, coverage, coverStage, hasLicense, hasValidCredential, isGranteeType } from './rules.js';
import {
  C_ID,
  type ConsentEntry,
  decodeConsents,
  decodeIdentity,
  decodeRecord,
  decodeTuple,
  type Identity,
  RecordFlag,
} from './values.js';

/**
 * The one access rule: what block execution (ACCESS reads, ADD_RECORD writes), rpc
 * `access_check` and the vault decide, from state and block time alone. Pure: reads only,
 * writes and events stay with the callers (the denial counter, the audit event).
 */

export interface AccessDecision {
  granted: boolean;
  /** Reason code of a denial (NO_CONSENT, EXPIRED, NOT_CREDENTIALED, ERASED, UNKNOWN_RECORD, ...). */
  code: string | null;
  /** The record's patient (null: unknown record). */
  patient: Uint8Array | null;
  /** The covering consent (null: the patient's own access, an emergency, or a denial). */
  consent: Uint8Array | null;
  /** Granted under a live break-glass session. */
  emergency: boolean;
  session: Uint8Array | null;
}

export interface ReadQuery {
  grantee: Uint8Array;
  patient: Uint8Array;
  records: readonly Uint8Array[];
  purpose: number;
  time: number;
  /** Name the covering consent of a granted single-record read (access_check); the hot path skips it. */
  withConsent?: boolean;
}

const pairConsents = (st: StateReader, patient: Uint8Array, grantee: Uint8Array): ConsentEntry[] | undefined => {
  const v = st.get(consentKeyRO(patient, grantee));
  return v === undefined ? undefined : decodeConsents(v);
};

function coveringConsent(
  list: ConsentEntry[] | undefined,
  record: Uint8Array,
  type: number,
  action: number,
  purpose: number,
  time: number,
): Uint8Array | null {
  for (const c of list ?? []) if (coverStage(c, record, type, action, purpose, time) === COVERS) return c[C_ID];
  return null;
}

/**
 * The grantee's live break-glass session for the patient, if any, judged at `time`: within its
 * time box and while the practitioner still holds a valid EMERGENCY credential (revoking it, or
 * its expiry, ends every open session of theirs at once).
 */
function liveSession(st: StateReader, grantee: Uint8Array, patient: Uint8Array, time: number): Uint8Array | null {
  const v = st.get(emergencyPairKey(grantee, patient));
  if (v === undefined) return null;
  const t = decodeTuple(v) as [Uint8Array, number];
  if (time >= t[1]) return null;
  return hasValidCredential(st, grantee, CredentialType.EMERGENCY, time) ? t[0] : null;
}

/**
 * A read of `records` of `patient` by `me`: the patient reads their own; anyone else needs a
 * standing (not suspended, a practitioner licensed) and, per record, a live consent covering
 * (record, READ, purpose), or for a practitioner under an emergency purpose a live break-glass
 * session. The first failing record names the reason.
 */
export function decideRead(st: StateReader, me: Identity, q: ReadQuery): AccessDecision {
  const owner = equal(q.grantee, q.patient);
  const out: AccessDecision = {
    granted: false,
    code: null,
    patient: q.patient,
    consent: null,
    emergency: false,
    session: null,
  };
  let code = '';
  if (me.suspended) code = ReasonCode.SUSPENDED;
  else if (me.type === IdentityType.PRACTITIONER && !owner && !hasLicense(me, q.time))
    code = ReasonCode.NOT_CREDENTIALED;
  else {
    let consents: ConsentEntry[] | undefined;
    let consentsRead = false;
    let sessionRead = false;
    for (let i = 0; i < q.records.length && code === ''; i++) {
      const rid = q.records[i] as Uint8Array;
      const rv = st.get(recordKeyRO(rid));
      const r = rv === undefined ? undefined : decodeRecord(rv);
      if (r === undefined || !equal(r.patient, q.patient)) code = ReasonCode.UNKNOWN_RECORD;
      else if (r.flags & RecordFlag.ERASED) code = ReasonCode.ERASED;
      else if (!owner) {
        if (!consentsRead) {
          consents = pairConsents(st, q.patient, q.grantee);
          consentsRead = true;
        }
        const c = coverage(consents, rid, r.resourceType, Action.READ, q.purpose, q.time);
        if (c === '') {
          if (q.withConsent === true && q.records.length === 1)
            out.consent = coveringConsent(consents, rid, r.resourceType, Action.READ, q.purpose, q.time);
        } else if (isEmergencyPurpose(q.purpose) && me.type === IdentityType.PRACTITIONER) {
          // Break-glass: a live emergency session of this practitioner for this patient.
          if (!sessionRead) {
            out.session = liveSession(st, q.grantee, q.patient, q.time);
            sessionRead = true;
          }
          if (out.session !== null) out.emergency = true;
          else code = c;
        } else code = c;
      }
    }
  }
  out.granted = code === '';
  if (!out.granted) {
    out.code = code;
    out.consent = null;
    out.emergency = false;
    out.session = null;
  } else if (!out.emergency) out.session = null;
  return out;
}

/**
 * ADD_RECORD's writer rule: a MedicationRequest (a prescription) only by a licensed practitioner,
 * whoever the patient; the patient writes their other records; anyone else must be a practitioner
 * (licensed) or organization in standing, with a live consent covering (record, WRITE, purpose).
 * '' when allowed, else the reason.
 */
export function writeCode(
  st: StateReader,
  grantee: Uint8Array,
  me: Identity,
  patient: Uint8Array,
  record: Uint8Array,
  resourceType: number,
  purpose: number,
  time: number,
): string {
  // A suspended identity sends nothing that writes (the sender rule refuses it first).
  if (me.suspended) return ReasonCode.SUSPENDED;
  const licensed = hasLicense(me, time);
  if (resourceType === MEDICATION_REQUEST && !licensed) return ReasonCode.NOT_CREDENTIALED;
  if (equal(grantee, patient)) return '';
  if (!isGranteeType(me.type)) return ReasonCode.NOT_AUTHORIZED;
  if (me.type === IdentityType.PRACTITIONER && !licensed) return ReasonCode.NOT_CREDENTIALED;
  return coverage(pairConsents(st, patient, grantee), record, resourceType, Action.WRITE, purpose, time);
}

/**
 * The decision on one existing record for `action` at block `time`, as an ACCESS (read) or an
 * ADD_RECORD of this record's id, patient and type (write) would get it: what access_check answers
 * and what the vault relies on.
 */
export function decideAccess(
  st: StateReader,
  q: { grantee: Uint8Array; record: Uint8Array; action: 'read' | 'write'; purpose: number; time: number },
): AccessDecision {
  const iv = st.get(identityKeyRO(q.grantee));
  const rv = st.get(recordKeyRO(q.record));
  const r = rv === undefined ? undefined : decodeRecord(rv);
  const patient = r?.patient ?? null;
  const denied = (code: string): AccessDecision => ({
    granted: false,
    code,
    patient,
    consent: null,
    emergency: false,
    session: null,
  });
  if (iv === undefined) return denied(ReasonCode.UNKNOWN_IDENTITY);
  const me = decodeIdentity(iv);
  if (q.action === 'read') {
    // An unknown record is read as "of nobody": UNKNOWN_RECORD after the standing checks, like ACCESS.
    const d = decideRead(st, me, {
      grantee: q.grantee,
      patient: patient ?? NOBODY,
      records: [q.record],
      purpose: q.purpose,
      time: q.time,
      withConsent: true,
    });
    return { ...d, patient };
  }
  if (r === undefined) return denied(ReasonCode.UNKNOWN_RECORD);
  const code = writeCode(st, q.grantee, me, r.patient, q.record, r.resourceType, q.purpose, q.time);
  if (code !== '') return denied(code);
  const consent = equal(q.grantee, r.patient)
    ? null
    : coveringConsent(
        pairConsents(st, r.patient, q.grantee),
        q.record,
        r.resourceType,
        Action.WRITE,
        q.purpose,
        q.time,
      );
  return { granted: true, code: null, patient, consent, emergency: false, session: null };
}

const NOBODY = new Uint8Array(32);
