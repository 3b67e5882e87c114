/** Who may talk to the server at all: bearer token and browser origin, shared by HTTP and WS upgrade. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errorJson } from './json.js';
import type { RpcOptions } from './options.js';
import { type RpcError, serverError } from './rpc-error.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class AccessCheck {
  /** Compared as digests, so the comparison is constant-time whatever the lengths. */
  private readonly tokenDigest: Buffer | null;
  private readonly origins: ReadonlySet<string>;

  constructor(opts: Pick<RpcOptions, 'authToken' | 'allowedOrigins'>) {
    this.tokenDigest = opts.authToken === null ? null : digest(opts.authToken);
    this.origins = new Set(opts.allowedOrigins);
  }

  /** null when allowed, else the error (with its HTTP status). */
  check(headers: IncomingHttpHeaders): RpcError | null {
    if (this.tokenDigest !== null) {
      const auth = headers.authorization;
      const ok =
        auth !== undefined &&
        auth.length > 7 &&
        auth.slice(0, 7).toLowerCase() === 'bearer ' &&
        timingSafeEqual(digest(auth.slice(7).trim()), this.tokenDigest);
      if (!ok) return serverError('UNAUTHORIZED', 'Unauthorized', undefined, 401);
    }
    // Browsers always send Origin on cross-origin and POST requests; CLI clients send none.
    const origin = headers.origin;
    if (origin !== undefined && !this.origins.has(origin))
      return serverError('FORBIDDEN_ORIGIN', 'Origin not allowed', undefined, 403);
    return null;
  }
}

const JSON_TYPES = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest']);

/**
 * POST bodies must be declared JSON: browsers cannot send that cross-origin without a CORS
 * preflight (which this server never grants), so a web page cannot post to a local node.
 */
export function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  if (ct === 'application/json') return true;
  const semi = ct.indexOf(';');
  return JSON_TYPES.has((semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase());
}

/** A whole HTTP response for an error raised before any JSON-RPC processing (id null). */
export function errorBody(err: RpcError): string {
  return errorJson(null, err.toObject());
}
