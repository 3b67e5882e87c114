/**
 * JSON-RPC 2.0 processing of one message (single call or batch), independent of the transport.
 * Returns the response text, or null when nothing is to be sent (notifications). Synchronous
 * handlers stay synchronous end to end: no promise, timer or AbortController unless needed.
 */
import { isUtf8 } from 'node:buffer';
import type { Guard } from './call-guard.js';
import { CallContext, type Scope } from './context.js';
import { type ErrorTable, JsonRpcCode } from './error-codes.js';
import type { RpcLogger } from './logger.js';
import type { MethodRegistry, RpcMethod } from './methods.js';
import { errorJson, exceedsDepth, isValidId, type JsonRpcId, successJson } from './raw-json.js';
import { internalError, RpcError, serverError, toErrorObject } from './rpc-error.js';

export type Reply = string | null | Promise<string | null>;

export interface DispatcherOptions {
  maxJsonDepth: number;
  maxBatchLength: number;
  requestTimeoutMs: number;
  validateResults: boolean;
  /** Calls one WS connection may have in progress; more get TOO_MANY_PENDING. */
  maxPendingPerConnection: number;
}

export interface DispatcherDeps {
  registry: MethodRegistry;
  errors: ErrorTable;
  logger: RpcLogger;
  /** Every call of a registered method, with its outcome and handler latency (metrics). */
  onCall?(method: string, outcome: 'ok' | 'error', seconds: number): void;
}

const PARSE_ERROR = errorJson(null, { code: JsonRpcCode.PARSE_ERROR, message: 'Parse error' });
const EMPTY_BATCH = errorJson(null, { code: JsonRpcCode.INVALID_REQUEST, message: 'Invalid Request: empty batch' });
/** Names the method (bounded: it is the caller's input) and where the list of methods is. */
const methodNotFound = (name: string) => {
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return {
    code: JsonRpcCode.METHOD_NOT_FOUND,
    message: `Method not found: ${JSON.stringify(shown)}; rpc.discover lists every method`,
    data: { method: shown },
  };
};

const invalidRequest = (id: JsonRpcId, reason: string): string =>
  errorJson(id, { code: JsonRpcCode.INVALID_REQUEST, message: `Invalid Request: ${reason}` });

/** Timeouts fire within this much after their deadline. */
const TIMEOUT_RESOLUTION_MS = 20;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

export class Dispatcher {
  /** Async calls not yet settled, so shutdown can abort them all. */
  private readonly pending = new Set<CallContext>();
  private sweeper: NodeJS.Timeout | null = null;
  /** Scope rules (the node API sets one); null: every method is open to whoever passed the gate. */
  guard: Guard | null = null;

  constructor(
    private readonly opts: DispatcherOptions,
    private readonly deps: DispatcherDeps,
  ) {}

  /** Aborts every pending call's signal (shutdown after the grace period). */
  abortAll(reason: unknown): void {
    for (const ctx of this.pending) ctx.abort(reason);
  }

  /** The connection (or HTTP exchange) is gone: its pending calls see their signal abort. */
  closeScope(scope: Scope, reason: unknown): void {
    scope.closed = true;
    if (scope.pending === 0) return;
    for (const ctx of this.pending) if (ctx.scope === scope) ctx.abort(reason);
  }

  handle(body: Buffer, scope: Scope): Reply {
    // RFC 8259: JSON exchanged between systems is UTF-8; anything else is not JSON.
    if (!isUtf8(body)) return PARSE_ERROR;
    if (exceedsDepth(body, this.opts.maxJsonDepth))
      return errorJson(
        null,
        serverError('JSON_TOO_DEEP', 'JSON nested too deeply', { max: this.opts.maxJsonDepth }).toObject(),
      );
    let msg: unknown;
    try {
      msg = JSON.parse(body.toString('utf8'));
    } catch {
      return PARSE_ERROR;
    }
    if (Array.isArray(msg)) return this.batch(msg, scope);
    if (!scope.charge(1)) return this.rateLimited(scope, msg);
    return this.one(msg, scope);
  }

  private batch(list: unknown[], scope: Scope): Reply {
    // An empty batch is itself an invalid request: one error, not an empty array.
    if (list.length === 0) return EMPTY_BATCH;
    if (list.length > this.opts.maxBatchLength)
      return errorJson(
        null,
        serverError('BATCH_TOO_LARGE', 'Batch too large', { max: this.opts.maxBatchLength }).toObject(),
      );
    if (!scope.charge(list.length)) return this.rateLimited(scope, undefined);
    const parts: (string | null | Promise<string | null>)[] = new Array(list.length);
    let pending = false;
    for (let i = 0; i < list.length; i++) {
      const r = this.one(list[i], scope);
      parts[i] = r;
      if (r !== null && typeof r !== 'string') pending = true;
    }
    if (!pending) return joinBatch(parts as (string | null)[]);
    return Promise.all(parts).then(joinBatch);
  }

  /** One request object: envelope checks in the order of the spec, then the method. */
  private one(msg: unknown, scope: Scope): Reply {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return invalidRequest(null, 'not an object');
    const req = msg as Record<string, unknown>;
    // A notification is a request without an `id` member; `"id": null` is a call with id null.
    const id = req.id;
    if (id !== undefined && !isValidId(id)) return invalidRequest(null, 'id must be a string, number or null');
    const rid = id === undefined ? null : id;
    if (req.jsonrpc !== '2.0') return invalidRequest(rid, 'jsonrpc must be "2.0"');
    if (typeof req.method !== 'string') return invalidRequest(rid, 'method must be a string');
    const params = req.params;
    if (params !== undefined && (typeof params !== 'object' || params === null))
      return invalidRequest(rid, 'params must be an array or an object');
    const method = this.deps.registry.get(req.method);
    if (method === undefined) return id === undefined ? null : errorJson(id, methodNotFound(req.method));
    const parsed = method.parseParams(params);
    if (parsed instanceof RpcError) return id === undefined ? null : errorJson(id, parsed.toObject());
    return this.invoke(method, parsed, id, scope);
  }

  private invoke(method: RpcMethod, params: Record<string, unknown>, id: JsonRpcId | undefined, scope: Scope): Reply {
    // Bounded work per connection: a WS client cannot park unlimited waits (tx_waitFinal) on us.
    if (scope.transport === 'ws' && scope.pending >= this.opts.maxPendingPerConnection)
      return id === undefined
        ? null
        : errorJson(
            id,
            serverError('TOO_MANY_PENDING', 'Too many calls in progress on this connection', {
              max: this.opts.maxPendingPerConnection,
            }).toObject(),
          );
    const ctx = new CallContext(scope, method, id);
    const onCall = this.deps.onCall;
    const t0 = onCall === undefined ? 0 : performance.now();
    const observe = (outcome: 'ok' | 'error'): void => onCall?.(method.name, outcome, (performance.now() - t0) / 1000);
    const guard = this.guard;
    let out: unknown;
    try {
      out =
        guard === null
          ? method.spec.handler(params, ctx)
          : guard.run(method, params, ctx, () => method.spec.handler(params, ctx));
    } catch (err) {
      observe('error');
      return this.fail(err, method, id);
    }
    if (isThenable(out)) {
      if (onCall !== undefined)
        out.then(
          () => observe('ok'),
          () => observe('error'),
        );
      return this.settle(out, ctx);
    }
    observe('ok');
    return this.succeed(out, method, id);
  }

  /**
   * Awaits an async handler within its time budget. No timer per call: one sweeper checks the
   * deadlines of all pending calls every TIMEOUT_RESOLUTION_MS; a result after the deadline is dropped.
   */
  private settle(p: PromiseLike<unknown>, ctx: CallContext): Promise<string | null> {
    ctx.deadline = performance.now() + (ctx.method.spec.timeoutMs ?? this.opts.requestTimeoutMs);
    ctx.scope.pending++;
    this.pending.add(ctx);
    if (this.sweeper === null) {
      this.sweeper = setInterval(this.sweep, TIMEOUT_RESOLUTION_MS);
      this.sweeper.unref();
    }
    return new Promise((resolve) => {
      ctx.reply = resolve;
      p.then(
        (v) => this.complete(ctx, v, true),
        (e: unknown) => this.complete(ctx, e, false),
      );
    });
  }

  private complete(ctx: CallContext, value: unknown, ok: boolean): void {
    // Already timed out (and answered) if no longer pending.
    if (!this.pending.delete(ctx)) return;
    ctx.scope.pending--;
    const text = ok ? this.succeed(value, ctx.method, ctx.id) : this.fail(value, ctx.method, ctx.id);
    ctx.reply?.(text);
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    for (const ctx of this.pending) if (ctx.deadline <= now) this.timeOut(ctx);
    if (this.pending.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  };

  private timeOut(ctx: CallContext): void {
    this.pending.delete(ctx);
    ctx.scope.pending--;
    const timeoutMs = ctx.method.spec.timeoutMs ?? this.opts.requestTimeoutMs;
    const err = serverError('TIMEOUT', 'Request timed out', { timeoutMs });
    ctx.abort(err);
    this.deps.logger.warn({ method: ctx.method.name, timeoutMs }, 'rpc: handler timed out');
    ctx.reply?.(ctx.id === undefined ? null : errorJson(ctx.id, err.toObject()));
  }

  private succeed(result: unknown, method: RpcMethod, id: JsonRpcId | undefined): string | null {
    if (id === undefined) return null;
    if (this.opts.validateResults && !method.checkResult.Check(result)) {
      const first = method.checkResult.Errors(result).First();
      this.deps.logger.error(
        { method: method.name, path: first?.path, reason: first?.message },
        'rpc: result does not match its schema',
      );
      return errorJson(id, internalError());
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(result);
    } catch (err) {
      this.deps.logger.error({ err, method: method.name }, 'rpc: result not serializable');
      return errorJson(id, internalError());
    }
    return successJson(id, json ?? 'null');
  }

  private fail(err: unknown, method: RpcMethod, id: JsonRpcId | undefined): string | null {
    const { error, unexpected } = toErrorObject(err, this.deps.errors);
    // Never sent to the client (stack, message may hold anything); the operator sees it here.
    if (unexpected) this.deps.logger.error({ err, method: method.name }, 'rpc: handler failed');
    return id === undefined ? null : errorJson(id, error);
  }

  private rateLimited(scope: Scope, msg: unknown): string {
    scope.status = 429;
    const id = (msg as { id?: unknown } | null)?.id;
    return errorJson(isValidId(id) ? id : null, serverError('RATE_LIMITED', 'Rate limit exceeded').toObject());
  }
}

function joinBatch(parts: (string | null)[]): string | null {
  let out = '';
  for (const p of parts) {
    if (p === null) continue;
    out = out === '' ? `[${p}` : `${out},${p}`;
  }
  // Only notifications: the spec says to return nothing at all, not an empty array.
  return out === '' ? null : `${out}]`;
}
