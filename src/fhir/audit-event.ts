/**
 * Chain events as FHIR R4 AuditEvents shaped after the IHE Basic Audit Log Patterns (BALP):
 * accesses follow the PrivacyDisclosure pattern (DICOM 110106 Export, ISO 21089 `disclose`, the
 * custodian chain as source, the grantee as recipient, the patient and the records as entities);
 * consents and record pointers follow the RESTful create/update/delete patterns; break-glass is a
 * DICOM security alert (110127 Emergency Override Started). `recorded` is block time, the outcome
 * is 0 (granted) or 4 with the chain's reason code, and an extension carries the chain position.
 */
/// <reference types="fhir" />

import { splitIds } from '../../state/domain/handler.js';
import type { IndexEntry } from '../../state/index/query.js';
import type { EventValue } from '../chain/receipt.js';
import {
  ACT_REASON,
  chainPosition,
  consentRef,
  DCM,
  type IdentityKind,
  identityRef,
  instant,
  recordRef,
  SYSTEM,
} from './refs.js';

const BALP = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition';
const ISO_21089 = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
const REST = 'http://hl7.org/fhir/restful-interaction';
const AUDIT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';

/** The chain events the facade and the feed publish as AuditEvents. */
export const AUDITED_EVENTS = [
  'access',
  'emergency.opened',
  'emergency.denied',
  'emergency.reviewed',
  'emergency.overdue',
  'consent.granted',
  'consent.revoked',
  'record.added',
  'record.erased',
  'record.erase_blocked',
  'record.deletion_attested',
  'record.hold',
  'grantee.suspended',
  'grantee.reinstated',
] as const;
const AUDITED: ReadonlySet<string> = new Set(AUDITED_EVENTS);
export const isAudited = (type: string): boolean => AUDITED.has(type);

/** The AuditEvent outcome codes (R4): 0 success, 4 minor failure (a denial). */
export type Outcome = '0' | '4';

/** Who the node is (AuditEvent.source): its name and the chain it serves. */
export interface AuditSource {
  chainId: string;
  node: string;
}

/** Resolves an identity's kind (for typed agent references); undefined when unknown. */
export type KindOf = (id: Uint8Array) => IdentityKind | undefined;

const bytes = (a: Record<string, EventValue>, k: string): Uint8Array | null => {
  const v = a[k];
  return v instanceof Uint8Array && v.length === 32 ? v : null;
};
const str = (a: Record<string, EventValue>, k: string): string | null => {
  const v = a[k];
  return typeof v === 'string' && v !== '' ? v : null;
};

/** The AuditEvent id: the event's chain position, unique and stable (duplicates are identifiable by it). */
export const auditEventId = (e: Pick<IndexEntry, 'height' | 'receipt' | 'seq'>): string =>
  `${e.height}-${e.receipt}-${e.seq}`;

/** Granted or denied, from the event alone. */
export function outcomeOf(e: IndexEntry): Outcome {
  switch (e.type) {
    case 'access':
      return e.attrs.granted === true ? '0' : '4';
    case 'emergency.denied':
    case 'record.erase_blocked':
      return '4';
    default:
      return '0';
  }
}

/** The ActReason purpose of an event, if it has one. */
export function purposeOf(e: IndexEntry): string | null {
  return str(e.attrs, 'purpose') ?? str(e.attrs, 'reason');
}

const coding = (system: string, code: string, display?: string): fhir4.Coding =>
  display === undefined ? { system, code } : { system, code, display };

interface Shape {
  profile: string;
  type: fhir4.Coding;
  subtype: fhir4.Coding[];
  action: 'C' | 'R' | 'U' | 'D' | 'E';
}

function shapeOf(type: string): Shape {
  const chainType = coding(SYSTEM.event, type);
  switch (type) {
    case 'access':
      return {
        profile: `${BALP}/IHE.BasicAudit.PrivacyDisclosure.Source`,
        type: coding(DCM, '110106', 'Export'),
        subtype: [coding(ISO_21089, 'disclose', 'Disclose Record Lifecycle Event'), coding(REST, 'read'), chainType],
        action: 'R',
      };
    case 'emergency.opened':
    case 'emergency.denied':
      return {
        profile: `${BALP}/IHE.BasicAudit.SecurityAlert`,
        type: coding(DCM, '110113', 'Security Alert'),
        subtype: [coding(DCM, '110127', 'Emergency Override Started'), chainType],
        action: 'E',
      };
    case 'emergency.reviewed':
    case 'emergency.overdue':
    case 'grantee.suspended':
    case 'grantee.reinstated':
      return {
        profile: `${BALP}/IHE.BasicAudit.SecurityAlert`,
        type: coding(DCM, '110113', 'Security Alert'),
        subtype: [chainType],
        action: 'E',
      };
    case 'consent.granted':
    case 'record.added':
    case 'record.deletion_attested':
      return {
        profile: `${BALP}/IHE.BasicAudit.Create`,
        type: coding(AUDIT_TYPE, 'rest', 'Restful Operation'),
        subtype: [coding(REST, 'create'), chainType],
        action: 'C',
      };
    case 'consent.revoked':
    case 'record.hold':
      return {
        profile: `${BALP}/IHE.BasicAudit.Update`,
        type: coding(AUDIT_TYPE, 'rest', 'Restful Operation'),
        subtype: [coding(REST, 'update'), chainType],
        action: 'U',
      };
    default:
      // record.erased, record.erase_blocked
      return {
        profile: `${BALP}/IHE.BasicAudit.Delete`,
        type: coding(AUDIT_TYPE, 'rest', 'Restful Operation'),
        subtype: [
          coding(REST, 'delete'),
          coding(ISO_21089, 'destroy', 'Destroy/Delete Record Lifecycle Event'),
          chainType,
        ],
        action: 'D',
      };
  }
}

const role = (system: string, code: string, display: string): fhir4.CodeableConcept => ({
  coding: [coding(system, code, display)],
});

/** One chain event as an AuditEvent (only for `isAudited` types). */
export function toAuditEvent(e: IndexEntry, src: AuditSource, kindOf: KindOf = () => undefined): fhir4.AuditEvent {
  const a = e.attrs;
  const shape = shapeOf(e.type);
  const outcome = outcomeOf(e);
  const patient = bytes(a, 'patient');
  const grantee = bytes(a, 'grantee');
  const custodian = bytes(a, 'custodian') ?? bytes(a, 'org');
  const by = bytes(a, 'by') ?? bytes(a, 'author');
  const agents: fhir4.AuditEventAgent[] = [];
  // The node (and through it, the chain) is the source that recorded the event.
  agents.push({
    type: role(DCM, '110153', 'Source Role ID'),
    who: { identifier: { system: SYSTEM.chain, value: src.chainId }, display: src.node },
    requestor: false,
  });
  if (grantee !== null) {
    const kind = kindOf(grantee);
    agents.push({
      type:
        e.type === 'access'
          ? role(PARTICIPATION, 'IRCP', 'information recipient')
          : role(DCM, '110152', 'Destination Role ID'),
      who: identityRef(grantee, kind),
      requestor: true,
    });
  }
  if (custodian !== null)
    agents.push({
      type: role(PARTICIPATION, 'CST', 'custodian'),
      who: identityRef(custodian, 'Organization'),
      requestor: false,
    });
  if (by !== null && (grantee === null || !sameId(by, grantee)))
    agents.push({ type: role(PARTICIPATION, 'AUT', 'author'), who: identityRef(by, kindOf(by)), requestor: true });
  const entities: fhir4.AuditEventEntity[] = [];
  if (patient !== null)
    entities.push({
      what: identityRef(patient, 'Patient'),
      type: coding(ENTITY_TYPE, '1', 'Person'),
      role: coding(OBJECT_ROLE, '1', 'Patient'),
    });
  const records = a.records instanceof Uint8Array ? splitIds(a.records) : [];
  const record = bytes(a, 'record');
  if (record !== null) records.push(record);
  const resourceType = str(a, 'resourceType') ?? undefined;
  for (const r of records)
    entities.push({
      what: recordRef(r, resourceType),
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      role: coding(OBJECT_ROLE, '4', 'Domain Resource'),
    });
  const consent = bytes(a, 'consent');
  if (consent !== null)
    entities.push({
      what: consentRef(consent),
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      role: coding(OBJECT_ROLE, '4', 'Domain Resource'),
    });
  const session = bytes(a, 'session');
  if (session !== null)
    entities.push({
      what: { identifier: { system: SYSTEM.session, value: toHex0x(session) } },
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      role: coding(OBJECT_ROLE, '13', 'Security Resource'),
    });
  const purpose = purposeOf(e);
  const purposes: fhir4.CodeableConcept[] = [];
  if (purpose !== null) purposes.push({ coding: [coding(ACT_REASON, purpose)] });
  if (a.emergency === true && purpose !== 'BTG')
    purposes.push({ coding: [coding(ACT_REASON, 'BTG', 'break the glass')] });
  const code = str(a, 'code');
  const ev: fhir4.AuditEvent = {
    resourceType: 'AuditEvent',
    id: auditEventId(e),
    meta: { profile: [shape.profile] },
    extension: [chainPosition({ height: e.height, txHash: e.txHash, receipt: e.receipt, seq: e.seq })],
    type: shape.type,
    subtype: shape.subtype,
    action: shape.action,
    recorded: instant(e.time),
    outcome,
    agent: agents,
    source: {
      site: src.chainId,
      observer: { identifier: { system: SYSTEM.chain, value: src.chainId }, display: src.node },
      type: [coding(SOURCE_TYPE, '4', 'Application Server')],
    },
  };
  if (outcome !== '0') ev.outcomeDesc = code === null ? 'DENIED' : `DENIED ${code}`;
  if (purposes.length > 0) ev.purposeOfEvent = purposes;
  if (entities.length > 0) ev.entity = entities;
  return ev;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const toHex0x = (b: Uint8Array): string => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;
