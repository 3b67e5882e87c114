/**
 * Identifier systems and references of the FHIR facade. MedChain ids are opaque 32-byte values:
 * resources refer to each other by logical identifier (never by a URL the facade does not serve),
 * and nothing here is PHI.
 */
/// <reference types="fhir" />
import { to0x } from '../codec/bytes.js';

/** Where the facade's identifiers and extensions are defined (docs/FHIR.md). */
export const SYSTEM = {
  identity: 'urn:medchain:identity',
  record: 'urn:medchain:record',
  consent: 'urn:medchain:consent',
  tx: 'urn:medchain:tx',
  commitment: 'urn:medchain:commitment',
  session: 'urn:medchain:emergency-session',
  chain: 'urn:medchain:chain',
  event: 'urn:medchain:event-type',
  reason: 'urn:medchain:reason-code',
} as const;

/** Extension on AuditEvent and Provenance: where the entry sits in the chain. */
export const CHAIN_POSITION_URL = 'urn:medchain:fhir:StructureDefinition:chain-position';

export const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

export type IdentityKind = 'Patient' | 'Practitioner' | 'Organization';

export const identityRef = (id: Uint8Array, type?: IdentityKind): fhir4.Reference => ({
  ...(type === undefined ? {} : { type }),
  identifier: { system: SYSTEM.identity, value: to0x(id) },
});

export const recordRef = (id: Uint8Array, resourceType?: string): fhir4.Reference => ({
  ...(resourceType === undefined ? {} : { type: resourceType }),
  identifier: { system: SYSTEM.record, value: to0x(id) },
});

export const consentRef = (id: Uint8Array): fhir4.Reference => ({
  type: 'Consent',
  identifier: { system: SYSTEM.consent, value: to0x(id) },
});

/** FHIR ids are [A-Za-z0-9\-\.]{1,64}: a 32-byte id is its 64 hex digits (no 0x). */
export const idOf = (b: Uint8Array): string => to0x(b).slice(2);

/** Block time (ms) as a FHIR instant. */
export const instant = (ms: number): string => new Date(ms).toISOString();

export interface ChainPosition {
  height: number;
  txHash: Uint8Array;
  /** Receipt index in the block (the eventsRoot leaf) and event index within the receipt. */
  receipt?: number;
  seq?: number;
}

export function chainPosition(p: ChainPosition): fhir4.Extension {
  const ext: fhir4.Extension[] = [
    { url: 'height', valueUnsignedInt: p.height },
    { url: 'txHash', valueString: to0x(p.txHash) },
  ];
  if (p.receipt !== undefined) ext.push({ url: 'receiptIndex', valueUnsignedInt: p.receipt });
  if (p.seq !== undefined) ext.push({ url: 'eventIndex', valueUnsignedInt: p.seq });
  return { url: CHAIN_POSITION_URL, extension: ext };
}
