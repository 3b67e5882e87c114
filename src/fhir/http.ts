/**
 * The facade over HTTP: GET only, `application/fhir+json`, every answer a resource or an
 * OperationOutcome with the matching status. Order of checks: method, path and query size (no
 * data read), the authorization hook, parameters, then the read. Errors name a parameter at most.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeApi } from '../../rpc/api/types.js';
import { underBasePath } from '../../rpc/http.js';
import type { AuditSource } from './audit-event.js';
import { type FhirAuthorizer, operatorTokenAuthorizer } from './authorize.js';
import { capabilityStatement } from './capability.js';
import { FhirFacade } from './facade.js';
import { defaultFhirOptions, type FhirOptions } from './options.js';
import { FhirError, FhirErrorCode, fhirError, operationOutcome } from './outcome.js';
import { parseSearch, SEARCH_PARAMS, type SearchType } from './search.js';

export interface FhirLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface FhirDeps {
  api: NodeApi;
  source: AuditSource;
  /** The absolute base URL of the facade (e.g. http://127.0.0.1:8545/fhir), for fullUrl and links. */
  baseUrl: () => string;
  /** The authorization hook (default: the operator token, open when none). */
  authorize?: FhirAuthorizer;
  logger?: FhirLogger;
  version?: string;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export class FhirHandler {
  readonly opts: FhirOptions;
  private readonly facade: FhirFacade;
  private readonly authorize: FhirAuthorizer;
  private readonly started = new Date().toISOString();

  constructor(
    opts: Partial<FhirOptions>,
    private readonly deps: FhirDeps,
  ) {
    this.opts = { ...defaultFhirOptions, ...opts };
    this.facade = new FhirFacade(deps.api, deps.source);
    this.authorize = deps.authorize ?? operatorTokenAuthorizer(null);
  }

  /** True when `url` is under the facade's base path. */
  owns(url: string | undefined): boolean {
    return underBasePath(url, this.opts.basePath);
  }

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => {});
    this.handle(req).then(
      ({ status, body, headers }) => this.send(res, status, body, headers),
      (err: unknown) => {
        const e = err instanceof FhirError ? err : fhirError(FhirErrorCode.INTERNAL);
        if (!(err instanceof FhirError))
          this.deps.logger?.error({ code: (err as { code?: unknown })?.code ?? 'INTERNAL' }, 'fhir: request failed');
        const headers: Record<string, string> = {};
        if (e.code === FhirErrorCode.UNAUTHORIZED) headers['www-authenticate'] = 'Bearer';
        if (e.code === FhirErrorCode.METHOD_NOT_ALLOWED) headers.allow = 'GET, HEAD';
        this.send(res, e.status, operationOutcome(e), headers);
      },
    );
    // A GET has no body worth reading: drain whatever comes, bounded by the server's timeouts.
    req.resume();
  };

  /** Refusals decided by the server before the request reached us (connection limit, shutdown, rate limit). */
  readonly onRefused = (
    res: ServerResponse,
    status: number,
    headers: Record<string, string | number | string[]>,
  ): void => {
    const e = fhirError(status === 429 ? FhirErrorCode.RATE_LIMITED : FhirErrorCode.UNAVAILABLE);
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) extra[k] = String(v);
    this.send(res, e.status, operationOutcome(e), extra);
  };

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body: object; headers?: Record<string, string> }> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw fhirError(FhirErrorCode.METHOD_NOT_ALLOWED);
    const url = req.url ?? '/';
    if (url.length > this.opts.maxQueryBytes + 256) throw fhirError(FhirErrorCode.QUERY_TOO_LONG);
    const q = url.indexOf('?');
    const path = (q < 0 ? url : url.slice(0, q)).slice(this.opts.basePath.length).replace(/\/+$/, '');
    const query = q < 0 ? '' : url.slice(q + 1);
    if (!acceptsFhirJson(req.headers.accept)) throw fhirError(FhirErrorCode.NOT_ACCEPTABLE);
    const parts = path.split('/').filter((p) => p !== '');
    const access = { headers: req.headers, remote: req.socket.remoteAddress ?? 'unknown' };
    if (parts.length === 1 && parts[0] === 'metadata') {
      if (query !== '') throw fhirError(FhirErrorCode.UNKNOWN_PARAMETER, query.split('=')[0]);
      await this.check({ ...access, interaction: 'capabilities', resourceType: null });
      const body = capabilityStatement({
        baseUrl: this.deps.baseUrl(),
        version: this.deps.version ?? '0.1.0',
        maxCount: this.opts.maxCount,
        date: this.started,
      });
      return { status: 200, body };
    }
    const type = parts[0];
    if (type === undefined || !(type in SEARCH_PARAMS) || parts.length > 2)
      throw fhirError(FhirErrorCode.UNKNOWN_RESOURCE);
    if (parts.length === 2) {
      if (query !== '') throw fhirError(FhirErrorCode.UNKNOWN_PARAMETER, query.split('=')[0]);
      const id = parts[1] as string;
      await this.check({ ...access, interaction: 'read', resourceType: type, id });
      return { status: 200, body: await this.facade.read(type, id) };
    }
    const search = parseSearch(type as SearchType, query, this.opts);
    await this.check({ ...access, interaction: 'search', resourceType: type, search });
    const base = this.deps.baseUrl();
    const selfUrl = (page: string | null) => {
      const p = new URLSearchParams(query);
      p.delete('_page');
      if (page !== null) p.set('_page', page);
      const qs = p.toString();
      return `${base}/${type}${qs === '' ? '' : `?${qs}`}`;
    };
    return { status: 200, body: await this.facade.search(search, selfUrl, base) };
  }

  private async check(a: Parameters<FhirAuthorizer>[0]): Promise<void> {
    const refused = await this.authorize(a);
    if (refused !== null) throw fhirError(refused);
  }

  private send(res: ServerResponse, status: number, body: object, extra?: Record<string, string>): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': FHIR_JSON,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...extra,
    });
    res.end(res.req?.method === 'HEAD' ? undefined : text);
  }
}

/** No Accept, or one that admits JSON (application/fhir+json, application/json, * / *). */
export function acceptsFhirJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return true;
  return accept
    .split(',')
    .map((a) => (a.split(';')[0] as string).trim().toLowerCase())
    .some(
      (t) =>
        t === '*/*' ||
        t === 'application/*' ||
        t === 'application/fhir+json' ||
        t === 'application/json' ||
        t === 'application/json+fhir',
    );
}
