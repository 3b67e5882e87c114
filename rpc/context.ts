import { type Caller, PUBLIC } from './auth/caller.js';
import type { RpcContext, RpcMethod } from './methods.js';
import type { JsonRpcId } from './raw-json.js';

export type Transport = 'http' | 'ws';

/** What the subscription built-ins need from a WS connection. */
export interface SubscriptionSink {
  /** Who holds the subscriptions: events are judged against this caller when published. */
  readonly caller: Caller;
  /** Ids of this connection's live subscriptions. */
  readonly subscriptions: Set<string>;
  /** Sends one text frame (or drops the connection if it cannot keep up). */
  send(text: string): void;
}

/** Rate limiter as seen by a scope: take n tokens for a client key. */
export interface TokenTaker {
  take(key: string, n: number): boolean;
}

/**
 * One HTTP request or one WS connection: who is calling, how, and how many of its calls are still
 * pending (so that closing it aborts them; see Dispatcher.closeScope).
 */
export class Scope {
  /** HTTP status for the response (429 when rate limited); ignored over WS. */
  status = 200;
  closed = false;
  /** Async calls of this scope not settled yet. */
  pending = 0;
  /** Set by the transport from the bearer token; a WS connection may sign in (or out) in band. */
  caller: Caller = PUBLIC;

  constructor(
    readonly remote: string,
    readonly transport: Transport,
    /** Rate-limit key: the IPv4 address or the IPv6 /64. */
    readonly clientKey: string,
    private readonly limiter: TokenTaker | null,
    readonly sink: SubscriptionSink | null = null,
    /** Calls already paid for (HTTP takes one token before reading the body). */
    private prepaid = 0,
  ) {}

  /** Takes tokens for n calls; false when the client is over its rate. */
  charge(n: number): boolean {
    const due = n - this.prepaid;
    this.prepaid = 0;
    if (due <= 0 || this.limiter === null) return true;
    return this.limiter.take(this.clientKey, due);
  }
}

/**
 * The per-call RpcContext. The AbortController is created only if the handler reads `signal`.
 * For async handlers it also carries the dispatcher's bookkeeping (deadline, where to reply), so a
 * pending call costs one object and no timer.
 */
export class CallContext implements RpcContext {
  private controller: AbortController | null = null;
  private abortReason: unknown = undefined;
  private aborted = false;
  /** performance.now() after which the call times out. */
  deadline = 0;
  reply: ((text: string | null) => void) | null = null;

  constructor(
    readonly scope: Scope,
    readonly method: RpcMethod,
    /** undefined for a notification. */
    readonly id: JsonRpcId | undefined,
  ) {}

  get remote(): string {
    return this.scope.remote;
  }

  get transport(): Transport {
    return this.scope.transport;
  }

  get caller(): Caller {
    return this.scope.caller;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
