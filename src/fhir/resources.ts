/// <reference types="fhir" />
/**
 * Consents and record pointers as FHIR R4 Consent and Provenance. A Consent's id is the consent id
 * (the granting tx hash), a Provenance's id is the record id; both carry the chain position.
 */
import { from0x } from '../codec/bytes.js';
import {
  ACT_REASON,
  type ChainPosition,
  chainPosition,
  type IdentityKind,
  identityRef,
  idOf,
  instant,
  recordRef,
  SYSTEM,
} from './refs.js';

/** A consent as the chain reports it (rpc/api consentToJson), with where it was granted. */
export interface ConsentView {
  id: string;
  patient: string;
  grantee: string;
  records: string[];
  resourceTypes: string[];
  actions: ('read' | 'write')[];
  purposes: string[];
  notBefore: number;
  expiresAt: number;
  revokedAt: number | null;
  status: 'active' | 'pending' | 'expired' | 'revoked' | 'removed';
}

/** active / proposed (not yet valid) / inactive (expired, dropped, or every record erased) / rejected (revoked). */
export function consentState(c: ConsentView, liveRecords: number): fhir4.Consent['status'] {
  switch (c.status) {
    case 'active':
      return c.records.length > 0 && liveRecords === 0 ? 'inactive' : 'active';
    case 'pending':
      return 'proposed';
    case 'revoked':
      return 'rejected';
    default:
      return 'inactive';
  }
}

export interface ConsentContext {
  /** Grant time (block time, ms) and position. */
  granted: ChainPosition & { time: number };
  granteeKind: IdentityKind | undefined;
  /** The consent's records that are erased (tombstones): no longer covered, so not listed as data. */
  erased: ReadonlySet<string>;
  /** The records' resource types, where known. */
  recordTypes: ReadonlyMap<string, string>;
}

export function toConsent(c: ConsentView, ctx: ConsentContext): fhir4.Consent {
  const live = c.records.filter((r) => !ctx.erased.has(r));
  const provision: fhir4.ConsentProvision = {
    type: 'permit',
    period: { start: instant(c.notBefore), end: instant(c.revokedAt ?? c.expiresAt) },
    actor: [
      {
        role: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
        },
        reference: identityRef(from0x(c.grantee), ctx.granteeKind),
      },
    ],
    action: c.actions.map((a) => ({
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: a === 'read' ? 'access' : 'correct' },
      ],
      text: a,
    })),
    purpose: c.purposes.map((p) => ({ system: ACT_REASON, code: p })),
  };
  if (c.resourceTypes.length > 0)
    provision.class = c.resourceTypes.map((t) => ({ system: 'http://hl7.org/fhir/resource-types', code: t }));
  if (live.length > 0)
    provision.data = live.map((r) => ({
      meaning: 'instance',
      reference: recordRef(from0x(r), ctx.recordTypes.get(r)),
    }));
  const out: fhir4.Consent = {
    resourceType: 'Consent',
    id: c.id.slice(2),
    extension: [chainPosition(ctx.granted)],
    identifier: [{ system: SYSTEM.consent, value: c.id }],
    status: consentState(c, live.length),
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: identityRef(from0x(c.patient), 'Patient'),
    dateTime: instant(ctx.granted.time),
    performer: [identityRef(from0x(c.patient), 'Patient')],
    policyRule: { coding: [{ system: ACT_REASON, code: 'HIPAAAuth', display: 'HIPAA Authorization' }] },
    provision,
  };
  return out;
}

/** A record pointer as the chain reports it, with its record.added event. */
export interface RecordView {
  record: Uint8Array;
  patient: Uint8Array;
  resourceType: string;
  author: Uint8Array;
  custodian: Uint8Array;
  /** null once erased (the tombstone keeps no commitment). */
  commitment: Uint8Array | null;
  erasedAt: number | null;
  added: ChainPosition & { time: number };
  authorKind: IdentityKind | undefined;
}

export function toProvenance(r: RecordView): fhir4.Provenance {
  const entity: fhir4.ProvenanceEntity[] = [
    { role: 'source', what: { type: 'Patient', identifier: { system: SYSTEM.identity, value: hex(r.patient) } } },
  ];
  // The salted commitment identifies the ciphertext without revealing it (gone after erasure).
  if (r.commitment !== null)
    entity.push({ role: 'quotation', what: { identifier: { system: SYSTEM.commitment, value: hex(r.commitment) } } });
  const out: fhir4.Provenance = {
    resourceType: 'Provenance',
    id: idOf(r.record),
    extension: [chainPosition(r.added)],
    target: [recordRef(r.record, r.resourceType)],
    recorded: instant(r.added.time),
    activity: {
      coding: [
        r.erasedAt === null
          ? { system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }
          : { system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'DELETE', display: 'delete' },
      ],
    },
    agent: [
      {
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }],
        },
        who: identityRef(r.author, r.authorKind),
      },
      {
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'custodian' }],
        },
        who: identityRef(r.custodian, 'Organization'),
      },
    ],
    entity,
  };
  if (r.erasedAt !== null) out.occurredDateTime = instant(r.erasedAt);
  return out;
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;
