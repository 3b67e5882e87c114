/**
 * THE authorization hook of the FHIR facade: every request passes through one `FhirAuthorizer`
 * before any data is read. The node passes `scopedAuthorizer` (scoped.ts): the operator token or a
 * JSON-RPC sign-in session, judged by the same scope rules as JSON-RPC. `operatorTokenAuthorizer`
 * below is the facade on its own (tests, an embedder without sign-in): the operator token, or open
 * on a loopback/IP host when no token is configured. The search the hook receives is already
 * parsed, so it can judge its subject (patient / agent / entity).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { FhirErrorCode } from './outcome.js';
import type { Search } from './search.js';

export interface FhirAccess {
  headers: IncomingHttpHeaders;
  remote: string;
  interaction: 'capabilities' | 'read' | 'search';
  resourceType: string | null;
  /** The resource id of a read. */
  id?: string;
  /** The parsed search (subject, filters) of a search. */
  search?: Search;
}

export type FhirRefusal = typeof FhirErrorCode.UNAUTHORIZED | typeof FhirErrorCode.FORBIDDEN;

/** null: allowed; otherwise the refusal (401 or 403). May answer later (a scope may read state). */
export type FhirAuthorizer = (a: FhirAccess) => FhirRefusal | null | Promise<FhirRefusal | null>;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A Host header naming this machine by a loopback name or by an IP literal (with any port). */
export function isLiteralOrLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return h === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || (h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h));
}

/**
 * The operator token: with `token` null every caller is allowed (as JSON-RPC without authToken).
 * Browsers are kept out as JSON-RPC keeps them out: a request carrying an `Origin` not in
 * `allowedOrigins` is refused, and without a token the Host must be an IP literal or localhost,
 * so a web page cannot read the facade through DNS rebinding.
 */
export function operatorTokenAuthorizer(token: string | null, allowedOrigins: readonly string[] = []): FhirAuthorizer {
  const want = token === null ? null : digest(token);
  const origins = new Set(allowedOrigins);
  return (a) => {
    const origin = a.headers.origin;
    if (origin !== undefined && !origins.has(origin)) return FhirErrorCode.FORBIDDEN;
    if (a.interaction === 'capabilities') return null;
    if (want === null) return isLiteralOrLoopbackHost(a.headers.host) ? null : FhirErrorCode.FORBIDDEN;
    const auth = a.headers.authorization;
    const ok =
      auth !== undefined &&
      auth.length > 7 &&
      auth.slice(0, 7).toLowerCase() === 'bearer ' &&
      timingSafeEqual(digest(auth.slice(7).trim()), want);
    return ok ? null : FhirErrorCode.UNAUTHORIZED;
  };
}
