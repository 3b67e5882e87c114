/**
 * The facade's sign-in and scopes, the same as JSON-RPC's: the caller is told from the bearer
 * token exactly as JSON-RPC tells it (the operator token, or a session from `auth_login`), and
 * every read or search is judged by the node's rpc guard as the equivalent JSON-RPC read:
 *
 * | FHIR | judged as |
 * |---|---|
 * | `AuditEvent?patient=` (any other parameters) | `audit_query {patient}` |
 * | `AuditEvent?entity=` (no patient) | `audit_query {patient: the record's patient}` (the index read) |
 * | `AuditEvent?agent=` (alone) | `audit_query {grantee: agent}` |
 * | `AuditEvent/<id>` | the `events` topic: the event, if the caller may read whom it names |
 * | `Consent?patient=` / `actor=` / both | `consent_listByPatient` / `consent_listByGrantee` / either (every result names both) |
 * | `Consent/<id>` | `consent_get` |
 * | `Provenance?patient=` / `target=` / both | `record_listByPatient` / `record_get` / either (every result is that record of that patient) |
 * | `Provenance/<record>` | `record_get` |
 *
 * No rule is written here: the guard's scope table decides. Everything the facade serves but
 * `metadata` is personal data, so the public gets 401; a signed-in caller outside the scope gets
 * one 403, the same whether or not the subject exists (a read of an unknown id is refused like a
 * read of someone else's; only the operator sees 404).
 */

import { NodeGuard } from '../../rpc/api/guard.js';
import type { NodeApi } from '../../rpc/api/types.js';
import type { Auth } from '../../rpc/auth/auth.js';
import type { Caller } from '../../rpc/auth/caller.js';
import { AccessCheck } from '../../rpc/caller-check.js';
import type { RpcLogger } from '../../rpc/logger.js';
import { RpcError } from '../../rpc/rpc-error.js';
import { to0x } from '../codec/bytes.js';
import { isAudited } from './audit-event.js';
import type { FhirAccess, FhirAuthorizer } from './authorize.js';
import { FhirErrorCode } from './outcome.js';
import type { Search } from './search.js';
import { entryAt, grantEntry, ownerOf } from './source.js';

export interface ScopedAuthorizerDeps {
  api: NodeApi;
  /** The node's sign-in sessions (the Auth of registerNodeApi). */
  auth: Auth;
  /** The operator token (the RPC's authToken), null when none is configured. */
  token: string | null;
  /** Browser origins the RPC allows (others are 403, as on JSON-RPC). */
  allowedOrigins: readonly string[];
  /** Where reads of personal data are logged (as the rpc guard logs them). */
  logger: RpcLogger;
}

/** One question for the guard: a JSON-RPC method and its params (ids as lowercase 0x hex). */
interface Equivalent {
  method: string;
  params: Record<string, unknown>;
  /** For rules judged on the result: what the call would return (undefined: not found). */
  result?: () => Promise<unknown>;
}

const hexOf = (b: Uint8Array): string => to0x(b).toLowerCase();
const FORBIDDEN = FhirErrorCode.FORBIDDEN;
const UNAUTHORIZED = FhirErrorCode.UNAUTHORIZED;

export function scopedAuthorizer(d: ScopedAuthorizerDeps): FhirAuthorizer {
  const access = new AccessCheck({ authToken: d.token, allowedOrigins: d.allowedOrigins });
  access.auth = d.auth;
  const guard = new NodeGuard(d.auth, d.api, d.logger);
  const either = async (a: Equivalent, b: Equivalent, caller: Caller, label: string): Promise<boolean> =>
    (await guard.allows(a.method, a.params, caller, a.result, label)) ||
    guard.allows(b.method, b.params, caller, b.result, label);

  return async (a: FhirAccess) => {
    const caller = access.check(a.headers);
    if (caller instanceof RpcError) return caller.httpStatus === 403 ? FORBIDDEN : UNAUTHORIZED;
    if (a.interaction === 'capabilities') return null;
    if (caller.kind === 'public') return UNAUTHORIZED;
    const label = `fhir ${a.resourceType ?? ''} ${a.interaction}`;
    if (caller.kind === 'operator') {
      guard.logRead(caller, label, a.search === undefined ? { id: a.id } : subjectParams(a.search));
      return null;
    }
    if (a.interaction === 'read') {
      if (a.resourceType === 'AuditEvent') {
        const m = /^(\d{1,15})-(\d{1,9})-(\d{1,5})$/.exec(a.id ?? '');
        const e = m === null ? undefined : await entryAt(d.api, Number(m[1]), Number(m[2]), Number(m[3]));
        if (e === undefined || !isAudited(e.type) || !guard.mayReceive('events', caller, { attrs: e.attrs }))
          return FORBIDDEN;
        guard.logRead(caller, label, { id: a.id });
        return null;
      }
      const q = readEquivalent(d.api, a);
      return q !== null && (await guard.allows(q.method, q.params, caller, q.result, label)) ? null : FORBIDDEN;
    }
    const s = a.search;
    if (s === undefined) return FORBIDDEN;
    const [first, second] = await searchEquivalents(d.api, s);
    if (first === undefined) return FORBIDDEN;
    const ok =
      second === undefined
        ? await guard.allows(first.method, first.params, caller, first.result, label)
        : await either(first, second, caller, label);
    return ok ? null : FORBIDDEN;
  };
}

/** The ids a search names, for the read log. */
function subjectParams(s: Search): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.patient !== undefined) out.patient = hexOf(s.patient);
  if (s.agent !== undefined) out.grantee = hexOf(s.agent);
  if (s.entity !== undefined) out.record = hexOf(s.entity);
  return out;
}

function readEquivalent(api: NodeApi, a: FhirAccess): Equivalent | null {
  const id = a.id ?? '';
  if (!/^[0-9a-f]{64}$/.test(id)) return null;
  if (a.resourceType === 'Provenance') return { method: 'record_get', params: { record: `0x${id}` } };
  if (a.resourceType === 'Consent')
    return {
      method: 'consent_get',
      params: { consent: `0x${id}` },
      // consent_get's rule reads the patient and grantee of the consent it returns.
      result: async () => {
        const e = await grantEntry(api, new Uint8Array(Buffer.from(id, 'hex')));
        const { patient, grantee } = e?.attrs ?? {};
        if (!(patient instanceof Uint8Array && grantee instanceof Uint8Array)) return undefined;
        return { consent: { patient: hexOf(patient), grantee: hexOf(grantee) } };
      },
    };
  return null;
}

/** The JSON-RPC read(s) a search amounts to; with two, either one allows it. */
async function searchEquivalents(api: NodeApi, s: Search): Promise<Equivalent[]> {
  const patient = s.patient === undefined ? undefined : hexOf(s.patient);
  switch (s.type) {
    case 'AuditEvent': {
      // Judged by the index the facade reads: the patient's (given, or the record's owner), else the agent's.
      if (patient !== undefined) return [{ method: 'audit_query', params: { patient } }];
      if (s.entity !== undefined) {
        const owner = await ownerOf(api, s.entity);
        return owner === undefined ? [] : [{ method: 'audit_query', params: { patient: hexOf(owner) } }];
      }
      if (s.agent !== undefined) return [{ method: 'audit_query', params: { grantee: hexOf(s.agent) } }];
      return [];
    }
    case 'Consent': {
      const out: Equivalent[] = [];
      if (patient !== undefined) out.push({ method: 'consent_listByPatient', params: { patient } });
      if (s.agent !== undefined) out.push({ method: 'consent_listByGrantee', params: { grantee: hexOf(s.agent) } });
      return out;
    }
    case 'Provenance': {
      const out: Equivalent[] = [];
      if (patient !== undefined) out.push({ method: 'record_listByPatient', params: { patient } });
      if (s.entity !== undefined) out.push({ method: 'record_get', params: { record: hexOf(s.entity) } });
      return out;
    }
  }
  return [];
}
