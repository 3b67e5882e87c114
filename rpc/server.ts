/**
 * The JSON-RPC server: methods and topics are registered by the application, then one port serves
 * HTTP POST and WebSocket. Construction is cheap and side-effect free; listen() binds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { Guard } from './call-guard.js';
import { AccessCheck } from './caller-check.js';
import type { CallContext } from './context.js';
import { Dispatcher } from './dispatcher.js';
import { ErrorTable } from './error-codes.js';
import { type HttpMount, HttpTransport } from './http.js';
import { ConnectionGate, Inflight } from './lifecycle.js';
import { type RpcLogger, stderrLogger } from './logger.js';
import {
  compileMethod,
  defineMethod,
  MethodRegistry,
  type MethodSpec,
  type ParamSpec,
  type RpcMethod,
} from './methods.js';
import { buildOpenRpc, type OpenRpcDocument } from './openrpc.js';
import { type RpcOptions, resolveRpcOptions } from './options.js';
import { RateLimiter } from './rate-limit.js';
import { serverError } from './rpc-error.js';
import { type TopicSpec, Topics } from './topics.js';
import { WsTransport } from './ws.js';

const ABORT_GRACE_MS = 250;

export interface RpcServerDeps {
  logger?: RpcLogger;
  /** Numbers for MedchainError codes; defaults to DOMAIN_ERROR_CODES. */
  errors?: ErrorTable;
  /** Clock of the rate limiter (ms, monotonic). */
  now?: () => number;
  /** Every call of a registered method, with its outcome and latency (metrics). */
  onCall?(method: string, outcome: 'ok' | 'error', seconds: number): void;
}

export interface RpcAddress {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port */
  wsUrl: string;
}

export class RpcServer {
  readonly opts: RpcOptions;
  readonly errors: ErrorTable;
  readonly logger: RpcLogger;
  private readonly registry = new MethodRegistry();
  private readonly topics: Topics;
  private readonly limiter: RateLimiter | null;
  private readonly dispatcher: Dispatcher;
  private readonly state = { closing: false };
  private readonly inflight = new Inflight();
  private readonly gate: ConnectionGate;
  private readonly httpT: HttpTransport;
  private readonly mounts: HttpMount[] = [];
  private readonly wsT: WsTransport;
  private readonly access: AccessCheck;
  private guard: Guard | null = null;
  private http: Server | null = null;
  private bound: RpcAddress | null = null;
  private closing: Promise<void> | null = null;
  private doc: { key: string; doc: OpenRpcDocument } | null = null;

  constructor(opts: Partial<RpcOptions> = {}, deps: RpcServerDeps = {}) {
    this.opts = resolveRpcOptions(opts);
    this.logger = deps.logger ?? stderrLogger;
    this.errors = deps.errors ?? new ErrorTable();
    const o = this.opts;
    this.topics = new Topics(o.maxSubscriptionsPerConnection, o.validateResults, this.logger);
    this.limiter = o.rateLimit === null ? null : new RateLimiter(o.rateLimit, deps.now);
    this.dispatcher = new Dispatcher(o, {
      registry: this.registry,
      errors: this.errors,
      logger: this.logger,
      ...(deps.onCall ? { onCall: deps.onCall } : {}),
    });
    this.gate = new ConnectionGate(o.maxConnections);
    const access = new AccessCheck(o);
    this.access = access;
    const shared = {
      mounts: this.mounts,
      dispatcher: this.dispatcher,
      limiter: this.limiter,
      access,
      gate: this.gate,
      inflight: this.inflight,
      logger: this.logger,
      state: this.state,
    };
    this.httpT = new HttpTransport(o, shared);
    this.wsT = new WsTransport(o, { ...shared, topics: this.topics });
    this.defineBuiltins();
  }

  /** Registers compiled methods (see `defineMethod`); duplicate names throw. */
  register(...methods: RpcMethod[]): this {
    for (const m of methods) this.registry.add(m);
    return this;
  }

  /** Compiles and registers one method; returns it (its type parameters carry params/result types). */
  defineMethod<const P extends readonly ParamSpec[], R extends TSchema>(spec: MethodSpec<P, R>): RpcMethod<P, R> {
    const m = defineMethod(spec);
    this.registry.add(m);
    return m;
  }

  /** Serves a path prefix (e.g. /fhir) with its own handler, beside JSON-RPC on the same port. */
  mount(handler: HttpMount): this {
    this.mounts.push(handler);
    return this;
  }

  /**
   * Installs scope rules: from then on callers without the operator token are public or signed-in
   * identities (sessions of guard.auth), and every call and event is judged by the guard.
   */
  setGuard(guard: Guard): void {
    this.guard = guard;
    this.dispatcher.guard = guard;
    this.access.auth = guard.auth;
    this.topics.guard = guard;
    this.doc = null;
  }

  defineTopic<F extends TSchema, E>(spec: TopicSpec<F, E>): void {
    this.topics.define(spec);
  }

  /** Fans `event` out to the matching subscribers of `topic`; returns how many were sent. */
  publish(topic: string, event: unknown): number {
    return this.topics.publish(topic, event);
  }

  /** The OpenRPC document, rebuilt only after methods or topics change. */
  discover(): OpenRpcDocument {
    const key = `${this.registry.version}/${this.topics.version}`;
    if (this.doc?.key !== key)
      this.doc = {
        key,
        doc: buildOpenRpc(this.opts, this.registry.list(), this.topics.list(), this.errors, this.guard),
      };
    return this.doc.doc;
  }

  get address(): RpcAddress | null {
    return this.bound;
  }

  /** Number of open WS connections (metrics, tests). */
  get wsConnections(): number {
    return this.wsT.connections.size;
  }

  async listen(): Promise<RpcAddress> {
    if (this.http !== null) throw new Error('rpc server already listening');
    this.state.closing = false;
    this.closing = null;
    const o = this.opts;
    const server = createServer(
      {
        // Slowloris: the whole header block and the whole request must arrive in bounded time,
        // enforced every connectionsCheckingInterval.
        headersTimeout: o.headersTimeoutMs,
        requestTimeout: o.requestBodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
        connectionsCheckingInterval: o.connectionsCheckingIntervalMs,
        noDelay: true,
      },
      this.httpT.onRequest,
    );
    // Hard backstop behind the soft limit (whose sockets get a 503 first): node drops beyond it.
    server.maxConnections = o.maxConnections * 2 + 16;
    server.on('connection', this.gate.onConnection);
    server.on('upgrade', this.wsT.onUpgrade);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'rpc: server error'));
    this.http = server;
    this.wsT.startHeartbeat();
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.bound = { host: a.address, port: a.port, url: `http://${host}:${a.port}`, wsUrl: `ws://${host}:${a.port}` };
    return this.bound;
  }

  /**
   * Stops accepting, lets in-flight requests finish (bounded by closeTimeoutMs), then closes WS
   * connections with 1001 and drops whatever is left. Idempotent.
   */
  close(): Promise<void> {
    if (this.http === null) return Promise.resolve();
    this.closing ??= this.shutdown(this.http);
    return this.closing;
  }

  private async shutdown(server: Server): Promise<void> {
    this.state.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const ms = this.opts.closeTimeoutMs;
    if (!(await this.inflight.drained(ms))) {
      this.logger.warn({ inflight: this.inflight.count }, 'rpc: close timed out waiting for requests');
      // Handlers that honour their signal get a short grace to answer before connections drop.
      this.dispatcher.abortAll(serverError('SHUTTING_DOWN', 'Server shutting down'));
      await this.inflight.drained(Math.min(ms, ABORT_GRACE_MS));
    }
    await this.wsT.closeAll(ms);
    // Aborts what is still pending through the response 'close' of each request.
    server.closeAllConnections();
    await closed;
    this.http = null;
    this.bound = null;
  }

  private defineBuiltins(): void {
    const topics = this.topics;
    this.register(
      compileMethod(
        {
          name: 'rpc.discover',
          summary: 'OpenRPC document of this server',
          params: [],
          result: Type.Object(
            { openrpc: Type.String(), info: Type.Object({}), methods: Type.Array(Type.Unknown()) },
            { description: 'OpenRPC 1.2 document' },
          ),
          resultName: 'OpenRPC Schema',
          handler: () => this.discover(),
        },
        true,
      ),
      compileMethod(
        {
          name: 'subscribe',
          summary: 'Subscribe to a topic (WebSocket only)',
          description:
            'Returns a subscription id. Events arrive as notifications {"method":"subscription","params":{"subscription":id,"result":event}}. Topics and their filter/event schemas are listed in x-topics.',
          params: [
            { name: 'topic', schema: Type.String() },
            { name: 'filter', schema: Type.Unknown(), required: false },
          ],
          result: Type.String({ description: 'subscription id' }),
          resultName: 'subscription',
          handler: (p, ctx) => {
            const sink = (ctx as CallContext).scope.sink;
            if (sink === null)
              throw serverError('SUBSCRIPTIONS_UNSUPPORTED', 'Subscriptions need a WebSocket connection');
            return topics.subscribe(sink, p.topic, p.filter);
          },
        },
        true,
      ),
      compileMethod(
        {
          name: 'unsubscribe',
          summary: 'End a subscription of this connection',
          params: [{ name: 'subscription', schema: Type.String() }],
          result: Type.Boolean({ description: 'false when the id is unknown to this connection' }),
          resultName: 'removed',
          handler: (p, ctx) => {
            const sink = (ctx as CallContext).scope.sink;
            if (sink === null)
              throw serverError('SUBSCRIPTIONS_UNSUPPORTED', 'Subscriptions need a WebSocket connection');
            return topics.unsubscribe(sink, p.subscription);
          },
        },
        true,
      ),
    );
  }
}
