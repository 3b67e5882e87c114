/**
 * A FHIR resource as a person reads it: a one-line summary (what, its value, its status), then
 * its fields as a nested list with FHIR's names made readable. Text only (no markup from the
 * record ever reaches the page), bounded in depth and length.
 */
import type { ComponentChildren } from 'preact';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

/** "valueQuantity" -> "value quantity", "birthDate" -> "birth date". */
const words = (k: string): string => k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

function codeText(c: Json): string | null {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return null;
  if (typeof c.text === 'string') return c.text;
  const first = Array.isArray(c.coding) ? c.coding[0] : undefined;
  if (typeof first === 'object' && first !== null && !Array.isArray(first))
    return typeof first.display === 'string' ? first.display : typeof first.code === 'string' ? first.code : null;
  return null;
}

function quantity(q: Json): string | null {
  if (typeof q !== 'object' || q === null || Array.isArray(q) || typeof q.value !== 'number') return null;
  return `${q.value}${typeof q.unit === 'string' ? ` ${q.unit}` : ''}`;
}

/** "Systolic blood pressure: 120 mm[Hg] (final)" */
export function summary(r: Record<string, Json>): string {
  const what = codeText(r.code ?? null) ?? codeText(r.medicationCodeableConcept ?? null) ?? String(r.resourceType);
  const value = quantity(r.valueQuantity ?? null) ?? (typeof r.valueString === 'string' ? r.valueString : null);
  const status =
    typeof r.status === 'string' ? r.status : typeof r.clinicalStatus === 'object' ? codeText(r.clinicalStatus) : null;
  return `${what}${value === null ? '' : `: ${value}`}${status === null ? '' : ` (${status})`}`;
}

function Value(props: { v: Json; depth: number }): ComponentChildren {
  const { v, depth } = props;
  if (v === null || typeof v !== 'object') return String(v);
  if (depth >= MAX_DEPTH) return '…';
  const text = codeText(v) ?? quantity(v);
  if (text !== null && !Array.isArray(v)) return text;
  const entries: [string, Json][] = Array.isArray(v)
    ? v.slice(0, MAX_ITEMS).map((x, i) => [`${i + 1}`, x])
    : Object.entries(v).slice(0, MAX_ITEMS);
  return (
    <ul class="fhir">
      {entries.map(([k, x]) => (
        <li key={k}>
          <span class="muted">{Array.isArray(v) ? `${k}.` : words(k)}</span> <Value v={x} depth={depth + 1} />
        </li>
      ))}
    </ul>
  );
}

export function FhirView(props: { resource: Record<string, Json> }) {
  const r = props.resource;
  const fields = Object.entries(r).filter(([k]) => k !== 'resourceType' && k !== 'id' && k !== 'meta' && k !== 'text');
  return (
    <article class="card fhir-resource" aria-label={`${String(r.resourceType)} record`}>
      <h3>{String(r.resourceType)}</h3>
      <p data-testid="fhir-summary">
        <strong>{summary(r)}</strong>
      </p>
      <dl>
        {fields.slice(0, MAX_ITEMS).map(([k, v]) => (
          <div key={k}>
            <dt>{words(k)}</dt>
            <dd>
              <Value v={v} depth={1} />
            </dd>
          </div>
        ))}
      </dl>
    </article>
  );
}

export type { Json };
