/**
 * Search parameters of the facade, parsed strictly: the query string is size-checked first, every
 * parameter must be one the resource type supports (unknown ones and modifiers are refused, not
 * ignored), a parameter appears once (date twice, for a range), values are bounded and validated,
 * _count is bounded and the page token is an opaque position the server handed out.
 */
import { PURPOSE_NAMES, RESOURCE_TYPES } from '../tx/kinds.js';
import { FhirErrorCode, fhirError } from './outcome.js';

export interface SearchLimits {
  maxQueryBytes: number;
  defaultCount: number;
  maxCount: number;
}

export const SEARCH_PARAMS = {
  AuditEvent: ['patient', 'agent', 'entity', 'date', 'outcome', 'purpose'],
  Consent: ['patient', 'actor', 'status', 'date', 'period'],
  Provenance: ['patient', 'target'],
} as const;
export type SearchType = keyof typeof SEARCH_PARAMS;

const COMMON = ['_count', '_page'] as const;

/** A time range in block-time ms: from inclusive, to exclusive. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface Search {
  type: SearchType;
  /** 32-byte ids. */
  patient?: Uint8Array;
  agent?: Uint8Array;
  entity?: Uint8Array;
  date?: TimeRange;
  period?: TimeRange;
  outcome?: ReadonlySet<string>;
  purpose?: ReadonlySet<string>;
  status?: ReadonlySet<string>;
  count: number;
  page: PageToken | null;
}

/** Where the previous page stopped (an index position) and how many entries came before. */
export interface PageToken {
  cursor: Uint8Array;
  offset: number;
}

const HEX64 = /^(?:0x)?([0-9a-fA-F]{64})$/;
const REF = /^(?:(Patient|Practitioner|Organization|Consent|[A-Z][A-Za-z]{1,40})\/)?((?:0x)?[0-9a-fA-F]{64})$/;
const IDENTIFIER_REF = /^urn:medchain:(?:identity|record|consent)\|((?:0x)?[0-9a-fA-F]{64})$/;
const OR_MAX = 8;

function hexId(s: string): Uint8Array {
  const m = HEX64.exec(s) as RegExpExecArray;
  return new Uint8Array(Buffer.from(m[1] as string, 'hex'));
}

/** `Patient/<id>`, `<id>` or `urn:medchain:identity|<id>` (identifier form); id = 64 hex digits, 0x optional. */
export function parseRef(name: string, v: string, types: readonly string[]): Uint8Array {
  const ident = IDENTIFIER_REF.exec(v);
  if (ident !== null) return hexId(ident[1] as string);
  const m = REF.exec(v);
  if (m === null || (m[1] !== undefined && !types.includes(m[1]))) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
  return hexId(m[2] as string);
}

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** A FHIR date/dateTime as the [start, end) range its precision covers (ms). */
export function dateRange(name: string, v: string): { start: number; end: number } {
  const m = DATE.exec(v);
  if (m === null) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
  const [, y, mo, d, hh, mi, ss, ms, tz] = m;
  const year = Number(y);
  const month = mo === undefined ? 0 : Number(mo) - 1;
  const day = d === undefined ? 1 : Number(d);
  if (month > 11 || day < 1 || day > 31) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
  if (hh === undefined) {
    const start = Date.UTC(year, month, day);
    const end =
      mo === undefined ? Date.UTC(year + 1, 0, 1) : d === undefined ? Date.UTC(year, month + 1, 1) : start + 86_400_000;
    return { start, end };
  }
  const h = Number(hh);
  const min = Number(mi);
  const sec = ss === undefined ? 0 : Number(ss);
  if (h > 23 || min > 59 || sec > 59) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
  let start = Date.UTC(year, month, day, h, min, sec, ms === undefined ? 0 : Number(ms.padEnd(3, '0')));
  if (tz !== undefined && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    start -= sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
  }
  const unit = ms !== undefined ? 1 : ss !== undefined ? 1000 : 60_000;
  return { start, end: start + unit };
}

/** Folds one `date=[prefix]value` into a range (eq, ge, gt, le, lt; eq by default). */
export function addDate(name: string, v: string, r: TimeRange): TimeRange {
  const prefix = /^(eq|ge|gt|le|lt)/.exec(v)?.[1] ?? 'eq';
  const { start, end } = dateRange(name, v.startsWith(prefix) && /^[a-z]{2}/.test(v) ? v.slice(2) : v);
  const out = { ...r };
  const lower = (t: number) => (out.from = out.from === undefined ? t : Math.max(out.from, t));
  const upper = (t: number) => (out.to = out.to === undefined ? t : Math.min(out.to, t));
  switch (prefix) {
    case 'eq':
      lower(start);
      upper(end);
      break;
    case 'ge':
      lower(start);
      break;
    case 'gt':
      lower(end);
      break;
    case 'le':
      upper(end);
      break;
    default:
      upper(start);
  }
  if (out.from !== undefined && out.to !== undefined && out.to < out.from) out.to = out.from;
  return out;
}

function tokens(name: string, v: string, ok: (t: string) => boolean, system?: string): Set<string> {
  const parts = v.split(',');
  if (parts.length > OR_MAX) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
  const out = new Set<string>();
  for (const p of parts) {
    const bar = p.indexOf('|');
    let code = p;
    if (bar >= 0) {
      if (system === undefined || (bar > 0 && p.slice(0, bar) !== system))
        throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
      code = p.slice(bar + 1);
    }
    if (!ok(code)) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
    out.add(code);
  }
  return out;
}

const PURPOSES = new Set(PURPOSE_NAMES.filter((p) => p !== ''));
const OUTCOMES = new Set(['0', '4', '8', '12']);
const CONSENT_STATES = new Set(['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error']);

/** Page token: 22-byte index position as hex, a dot, the count of entries already returned. */
export const encodePage = (p: PageToken): string => `${Buffer.from(p.cursor).toString('hex')}.${p.offset}`;

export function decodePage(v: string): PageToken {
  const m = /^([0-9a-f]{44})\.(\d{1,9})$/.exec(v);
  if (m === null) throw fhirError(FhirErrorCode.BAD_PAGE, '_page');
  return { cursor: new Uint8Array(Buffer.from(m[1] as string, 'hex')), offset: Number(m[2]) };
}

/** Parses the query string of a search on `type` (raw, as it came after `?`). */
export function parseSearch(type: SearchType, rawQuery: string, limits: SearchLimits): Search {
  if (Buffer.byteLength(rawQuery) > limits.maxQueryBytes) throw fhirError(FhirErrorCode.QUERY_TOO_LONG);
  const allowed: readonly string[] = [...SEARCH_PARAMS[type], ...COMMON];
  const params = new URLSearchParams(rawQuery);
  const seen = new Map<string, number>();
  const s: Search = { type, count: limits.defaultCount, page: null };
  for (const [name, value] of params) {
    if (!allowed.includes(name)) throw fhirError(FhirErrorCode.UNKNOWN_PARAMETER, name);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > (name === 'date' || name === 'period' ? 2 : 1)) throw fhirError(FhirErrorCode.REPEATED_PARAMETER, name);
    if (value.length === 0 || value.length > 256) throw fhirError(FhirErrorCode.BAD_PARAMETER, name);
    switch (name) {
      case '_count': {
        if (!/^\d{1,6}$/.test(value)) throw fhirError(FhirErrorCode.BAD_COUNT, name);
        const c = Number(value);
        if (c < 1 || c > limits.maxCount) throw fhirError(FhirErrorCode.BAD_COUNT, name);
        s.count = c;
        break;
      }
      case '_page':
        s.page = decodePage(value);
        break;
      case 'patient':
        s.patient = parseRef(name, value, ['Patient']);
        break;
      case 'agent':
      case 'actor':
        s.agent = parseRef(name, value, ['Practitioner', 'Organization', 'Patient']);
        break;
      case 'entity':
      case 'target':
        s.entity = parseRef(name, value, RESOURCE_TYPES);
        break;
      case 'date':
        s.date = addDate(name, value, s.date ?? {});
        break;
      case 'period':
        s.period = addDate(name, value, s.period ?? {});
        break;
      case 'outcome':
        s.outcome = tokens(
          name,
          value,
          (t) => OUTCOMES.has(t),
          'http://terminology.hl7.org/CodeSystem/audit-event-outcome',
        );
        break;
      case 'purpose':
        s.purpose = tokens(name, value, (t) => PURPOSES.has(t), 'http://terminology.hl7.org/CodeSystem/v3-ActReason');
        break;
      case 'status':
        s.status = tokens(name, value, (t) => CONSENT_STATES.has(t), 'http://hl7.org/fhir/consent-state-codes');
        break;
      default:
        throw fhirError(FhirErrorCode.UNKNOWN_PARAMETER, name);
    }
  }
  if (s.patient === undefined && s.agent === undefined && s.entity === undefined)
    throw fhirError(FhirErrorCode.MISSING_SUBJECT, type === 'Consent' ? 'patient' : 'patient');
  return s;
}
