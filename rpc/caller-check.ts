/**
 * Who is calling, from the headers alone (before any body is read): the operator token, a
 * signed-in session, or nobody (public); and whether a browser origin may call at all. Shared by
 * HTTP and the WS upgrade.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Auth } from './auth/auth.js';
import { type Caller, OPERATOR, PUBLIC, sessionCaller } from './auth/caller.js';
import { DOMAIN_ERROR_CODES } from './error-codes.js';
import type { RpcOptions } from './options.js';
import { errorJson } from './raw-json.js';
import { RpcError, serverError } from './rpc-error.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class AccessCheck {
  /** Compared as digests, so the comparison is constant-time whatever the lengths. */
  private readonly tokenDigest: Buffer | null;
  private readonly origins: ReadonlySet<string>;
  /** Sessions of signed-in identities; set with the scope rules (no sessions without them). */
  auth: Auth | null = null;

  constructor(opts: Pick<RpcOptions, 'authToken' | 'allowedOrigins'>) {
    this.tokenDigest = opts.authToken === null ? null : digest(opts.authToken);
    this.origins = new Set(opts.allowedOrigins);
  }

  /** The caller when allowed, else the error (with its HTTP status). */
  check(headers: IncomingHttpHeaders): Caller | RpcError {
    const caller = this.caller(headers.authorization);
    if (caller instanceof RpcError) return caller;
    // Browsers always send Origin on cross-origin and POST requests; CLI clients send none.
    const origin = headers.origin;
    if (origin !== undefined && !this.origins.has(origin) && !sameOrigin(origin, headers.host))
      return serverError('FORBIDDEN_ORIGIN', 'Origin not allowed', undefined, 403);
    return caller;
  }

  private caller(header: string | undefined): Caller | RpcError {
    // Plain mode without a token: open to whoever reaches it, whatever it sends.
    if (this.auth === null && this.tokenDigest === null) return PUBLIC;
    if (header === undefined) {
      // Without scope rules the token gates everything (the framework's plain mode).
      if (this.auth === null && this.tokenDigest !== null) return unauthorized();
      return PUBLIC;
    }
    if (header.length <= 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return unauthorized();
    const token = header.slice(7).trim();
    if (this.tokenDigest !== null && timingSafeEqual(digest(token), this.tokenDigest)) return OPERATOR;
    const session = this.auth?.session(token);
    if (session === undefined || this.auth === null) return unauthorized();
    const ended = this.auth.judge(session);
    if (ended !== null) return authError(ended.code, ended.meta);
    return sessionCaller(session);
  }
}

/**
 * The node's own pages (the console) call it from its own origin. Only when the Host is an IP
 * literal or localhost: a rebound DNS name (evil.example resolving to 127.0.0.1) sends a matching
 * Origin and Host too, so a name is trusted only when listed in allowedOrigins.
 */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin !== `http://${host}`) return false;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+))(?::\d{1,5})?$/.exec(host);
  if (m === null) return false;
  if (m[1] !== undefined) return isIP(m[1]) === 6;
  const name = m[2] as string;
  return name === 'localhost' || isIP(name) === 4;
}

const unauthorized = (): RpcError => serverError('UNAUTHORIZED', 'Unauthorized', undefined, 401);

/** A sign-in error as a whole-response 401 (the client signs in again). */
function authError(code: string, meta: Record<string, unknown>): RpcError {
  const n = DOMAIN_ERROR_CODES.auth?.[code] ?? -32000;
  const data: Record<string, unknown> = { code };
  if (typeof meta.reason === 'string') data.reason = meta.reason;
  return new RpcError(n, code, data, 401);
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
