/// <reference types="fhir" />
/** The CapabilityStatement: exactly what the facade serves (read-only, JSON, three resource types). */
import { SEARCH_PARAMS } from './search.js';

const DOCS: Record<string, string> = {
  patient: 'patient id (Patient/<64 hex> or urn:medchain:identity|0x<64 hex>)',
  agent: 'practitioner or organization id',
  actor: 'the grantee: practitioner or organization id',
  entity: 'record id',
  target: 'record id',
  date: 'block time (eq, ge, gt, le, lt)',
  period: 'overlap with the provision period (eq, ge, gt, le, lt)',
  outcome: '0 granted, 4 denied',
  purpose: 'HL7 v3 ActReason (TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, BTG)',
  status: 'active, proposed, inactive, rejected',
};
const TYPES: Record<string, fhir4.CapabilityStatementRestResourceSearchParam['type']> = {
  patient: 'reference',
  agent: 'reference',
  actor: 'reference',
  entity: 'reference',
  target: 'reference',
  date: 'date',
  period: 'date',
  outcome: 'token',
  purpose: 'token',
  status: 'token',
};

export function capabilityStatement(o: { baseUrl: string; version: string; maxCount: number; date: string }) {
  const resource = (type: keyof typeof SEARCH_PARAMS, read: boolean): fhir4.CapabilityStatementRestResource => ({
    type,
    interaction: [...(read ? [{ code: 'read' as const }] : []), { code: 'search-type' as const }],
    versioning: 'no-version',
    readHistory: false,
    updateCreate: false,
    searchParam: [
      ...SEARCH_PARAMS[type].map((name) => ({
        name,
        type: TYPES[name] ?? 'token',
        documentation: DOCS[name] ?? name,
      })),
      { name: '_count', type: 'number' as const, documentation: `page size, 1..${o.maxCount}` },
      { name: '_page', type: 'string' as const, documentation: 'opaque page token from a next link' },
    ],
  });
  const cs: fhir4.CapabilityStatement = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: o.date,
    publisher: 'MedChain',
    kind: 'instance',
    software: { name: 'MedChain', version: o.version },
    implementation: { description: 'MedChain read-only FHIR facade', url: o.baseUrl },
    // R4 as the official R4 JSON schema (4.0.0) enumerates it; 4.0.1 only corrected errata.
    fhirVersion: '4.0.0',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Read-only. Search parameters not listed are refused (400); at least one subject (patient, agent/actor, entity/target) is required.',
        security: { cors: false, description: 'Authorization: Bearer <operator token> when the node has one' },
        resource: [resource('AuditEvent', true), resource('Consent', true), resource('Provenance', true)],
      },
    ],
  };
  return cs;
}
