/**
 * HTTP transport: POST with a JSON body is a JSON-RPC message; GET /health answers operators.
 * Every check that needs no body runs before the body is read, and the body is counted while it
 * streams, so an oversized or unwanted request costs little.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Caller, PUBLIC } from './auth/caller.js';
import { type AccessCheck, errorBody, isJsonContentType } from './caller-check.js';
import { Scope } from './context.js';
import type { Dispatcher } from './dispatcher.js';
import type { ConnectionGate, Inflight } from './lifecycle.js';
import type { RpcLogger } from './logger.js';
import type { RpcOptions } from './options.js';
import { clientKey, type RateLimiter } from './rate-limit.js';
import { errorJson } from './raw-json.js';
import { internalError, RpcError, serverError } from './rpc-error.js';

/** A handler for a path prefix beside JSON-RPC (e.g. the FHIR facade at /fhir). */
export interface HttpMount {
  /** Whether a request URL is this mount's (see underBasePath). */
  owns(url: string | undefined): boolean;
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Answers a refusal (503, 429) in the mount's own format; default: the JSON-RPC error body. */
  onRefused?(res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void;
}

/** A mount's URLs: its base path itself, below it, or it with a query (`/fhir`, `/fhir/x`, `/fhir?y`; not `/fhirx`). */
export const underBasePath = (url: string | undefined, basePath: string): boolean =>
  url !== undefined && (url === basePath || url.startsWith(`${basePath}/`) || url.startsWith(`${basePath}?`));

export interface HttpDeps {
  /** Path handlers tried before JSON-RPC; connection, shutdown and rate limits still apply. */
  mounts: HttpMount[];
  dispatcher: Dispatcher;
  limiter: RateLimiter | null;
  access: AccessCheck;
  gate: ConnectionGate;
  inflight: Inflight;
  logger: RpcLogger;
  /** Shared with the server: set once close() starts. */
  state: { closing: boolean };
}

interface Refusal {
  err: RpcError;
  close: boolean;
  headers?: OutgoingHttpHeaders;
}

const noop = (): void => {};
const CLOSED = new Error('connection closed');

export class HttpTransport {
  constructor(
    private readonly opts: Pick<RpcOptions, 'maxBodyBytes'>,
    private readonly deps: HttpDeps,
  ) {}

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const { deps } = this;
    req.on('error', noop);
    const mount = deps.mounts.length === 0 ? undefined : deps.mounts.find((m) => m.owns(req.url));
    if (mount !== undefined) {
      this.mounted(mount, req, res);
      return;
    }
    const refused = this.refuse(req);
    if ('err' in refused) {
      this.reject(res, refused.err, refused.close, refused.headers);
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
      return;
    }
    const remote = req.socket.remoteAddress ?? 'unknown';
    const key = clientKey(remote);
    // One token before reading the body; batch members pay the rest after parsing.
    if (deps.limiter !== null && !deps.limiter.take(key, 1)) {
      const err = serverError('RATE_LIMITED', 'Rate limit exceeded', undefined, 429);
      this.reject(res, err, false, { 'retry-after': this.retryAfter(key) });
      return;
    }
    const scope = new Scope(remote, 'http', key, deps.limiter, null, 1);
    scope.caller = refused;
    deps.inflight.inc();
    res.once('close', () => {
      deps.inflight.dec();
      // The client went away (or the response is done): pending handlers see their signal abort.
      deps.dispatcher.closeScope(scope, CLOSED);
    });
    const max = this.opts.maxBodyBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        // The rest of the body is not read: close rather than resynchronize the connection.
        this.reject(res, this.tooLargeError(), true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      this.process(body, scope, res);
    });
  };

  private mounted(mount: HttpMount, req: IncomingMessage, res: ServerResponse): void {
    const { deps } = this;
    const key = clientKey(req.socket.remoteAddress ?? 'unknown');
    let err: RpcError | null = null;
    let headers: OutgoingHttpHeaders = {};
    if (deps.gate.isOver(req.socket)) err = serverError('TOO_MANY_CONNECTIONS', 'Too many connections', undefined, 503);
    else if (deps.state.closing) err = serverError('SHUTTING_DOWN', 'Server shutting down', undefined, 503);
    else if (deps.limiter !== null && !deps.limiter.take(key, 1)) {
      err = serverError('RATE_LIMITED', 'Rate limit exceeded', undefined, 429);
      headers = { 'retry-after': this.retryAfter(key) };
    }
    if (err === null) {
      deps.inflight.inc();
      res.once('close', () => deps.inflight.dec());
      mount.onRequest(req, res);
      return;
    }
    if (err.httpStatus === 503) headers.connection = 'close';
    if (mount.onRefused !== undefined) mount.onRefused(res, err.httpStatus, headers);
    else this.reject(res, err, err.httpStatus === 503, headers);
  }

  /** Checks that need no body, cheapest first; the caller when they pass (GET /health: public). */
  private refuse(req: IncomingMessage): Refusal | Caller {
    const { deps } = this;
    if (deps.gate.isOver(req.socket))
      return { err: serverError('TOO_MANY_CONNECTIONS', 'Too many connections', undefined, 503), close: true };
    if (deps.state.closing)
      return { err: serverError('SHUTTING_DOWN', 'Server shutting down', undefined, 503), close: true };
    if (req.method !== 'POST') {
      if (req.method === 'GET' && req.url === '/health') return PUBLIC;
      const err = serverError('METHOD_NOT_ALLOWED', 'Use POST', undefined, 405);
      return { err, close: false, headers: { allow: 'POST' } };
    }
    const headers = req.headers;
    const caller = deps.access.check(headers);
    if (caller instanceof RpcError)
      return caller.httpStatus === 401
        ? { err: caller, close: false, headers: { 'www-authenticate': 'Bearer' } }
        : { err: caller, close: false };
    if (!isJsonContentType(headers['content-type'])) {
      const err = serverError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', undefined, 415);
      return { err, close: false };
    }
    const declared = headers['content-length'];
    // Declared too large: refused before a byte of the body is read.
    if (declared !== undefined && Number(declared) > this.opts.maxBodyBytes)
      return { err: this.tooLargeError(), close: true };
    return caller;
  }

  private process(body: Buffer, scope: Scope, res: ServerResponse): void {
    let reply: ReturnType<Dispatcher['handle']>;
    try {
      reply = this.deps.dispatcher.handle(body, scope);
    } catch (err) {
      this.deps.logger.error({ err }, 'rpc: dispatch failed');
      reply = errorJson(null, internalError());
    }
    if (reply === null || typeof reply === 'string') {
      this.send(res, scope, reply);
      return;
    }
    reply.then(
      (r) => this.send(res, scope, r),
      (err: unknown) => {
        this.deps.logger.error({ err }, 'rpc: dispatch failed');
        this.send(res, scope, null);
      },
    );
  }

  private send(res: ServerResponse, scope: Scope, text: string | null): void {
    if (res.writableEnded || res.destroyed) return;
    const closing = this.deps.state.closing;
    // Notifications only: JSON-RPC returns nothing at all, which over HTTP is 204 No Content.
    if (text === null) {
      res.writeHead(204, closing ? { connection: 'close' } : undefined);
      res.end();
      return;
    }
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    };
    if (scope.status === 429) headers['retry-after'] = this.retryAfter(scope.clientKey);
    if (closing) headers.connection = 'close';
    res.writeHead(scope.status, headers);
    res.end(text);
  }

  private tooLargeError(): RpcError {
    return serverError('BODY_TOO_LARGE', 'Request body too large', { max: this.opts.maxBodyBytes }, 413);
  }

  private reject(res: ServerResponse, err: RpcError, close: boolean, extra?: OutgoingHttpHeaders): void {
    if (res.headersSent) return;
    const body = errorBody(err);
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...extra,
    };
    if (close || this.deps.state.closing) headers.connection = 'close';
    res.writeHead(err.httpStatus, headers);
    res.end(body);
  }

  private retryAfter(key: string): string {
    const ms = this.deps.limiter?.retryAfterMs(key) ?? 0;
    return String(Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 3600);
  }
}
