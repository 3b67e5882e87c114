/**
 * WebSocket transport on the HTTP server's port: each text (or binary) message is a JSON-RPC
 * message; subscriptions push notifications. A consumer that stops reading is dropped once its
 * unsent data passes `wsMaxBufferedBytes`, so memory stays bounded whatever the publish rate.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Caller } from './auth/caller.js';
import { type AccessCheck, errorBody } from './caller-check.js';
import { Scope, type SubscriptionSink } from './context.js';
import type { Dispatcher } from './dispatcher.js';
import type { ConnectionGate, Inflight } from './lifecycle.js';
import type { RpcLogger } from './logger.js';
import type { RpcOptions } from './options.js';
import { clientKey, type RateLimiter } from './rate-limit.js';
import { RpcError, serverError } from './rpc-error.js';
import type { Topics } from './topics.js';

export interface WsDeps {
  dispatcher: Dispatcher;
  topics: Topics;
  limiter: RateLimiter | null;
  access: AccessCheck;
  gate: ConnectionGate;
  inflight: Inflight;
  logger: RpcLogger;
  state: { closing: boolean };
}

type WsOptions = Pick<RpcOptions, 'maxWsMessageBytes' | 'wsMaxBufferedBytes' | 'wsPingIntervalMs'>;

const noop = (): void => {};
const CLOSED = new Error('connection closed');
const SHUTTING_DOWN = errorBody(serverError('SHUTTING_DOWN', 'Server shutting down'));

export class WsTransport {
  private readonly wss: WebSocketServer;
  readonly connections = new Set<WsConnection>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    readonly opts: WsOptions,
    readonly deps: WsDeps,
  ) {
    // No compression: it costs CPU per message and invites decompression bombs.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxWsMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', noop);
    const { deps } = this;
    const checked = deps.gate.isOver(socket as Socket)
      ? serverError('TOO_MANY_CONNECTIONS', 'Too many connections', undefined, 503)
      : deps.state.closing
        ? serverError('SHUTTING_DOWN', 'Server shutting down', undefined, 503)
        : deps.access.check(req.headers);
    if (checked instanceof RpcError) {
      rejectUpgrade(socket, checked);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = req.socket.remoteAddress ?? 'unknown';
      this.connections.add(new WsConnection(ws, remote, this, checked));
    });
  };

  startHeartbeat(): void {
    if (this.opts.wsPingIntervalMs <= 0 || this.heartbeat !== null) return;
    this.heartbeat = setInterval(() => {
      for (const c of this.connections) c.ping();
    }, this.opts.wsPingIntervalMs);
    this.heartbeat.unref();
  }

  /** Closes every connection (1001 going away), terminating those that do not finish within `ms`. */
  async closeAll(ms: number): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const all = [...this.connections];
    await Promise.all(all.map((c) => c.close(1001, 'server closing', ms)));
  }
}

class WsConnection implements SubscriptionSink {
  readonly subscriptions = new Set<string>();
  private readonly scope: Scope;
  private alive = true;

  constructor(
    private readonly ws: WebSocket,
    remote: string,
    private readonly t: WsTransport,
    caller: Caller,
  ) {
    this.scope = new Scope(remote, 'ws', clientKey(remote), t.deps.limiter, this, 0);
    this.scope.caller = caller;
    ws.on('message', (data) => this.onMessage(data));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('error', (err) => t.deps.logger.debug({ err: err.message, remote }, 'rpc: ws error'));
    ws.once('close', () => this.onClose());
  }

  get caller(): Caller {
    return this.scope.caller;
  }

  send(text: string): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(text);
    if (ws.bufferedAmount > this.t.opts.wsMaxBufferedBytes) {
      this.t.deps.logger.warn(
        { remote: this.scope.remote, buffered: ws.bufferedAmount },
        'rpc: ws consumer too slow, disconnecting',
      );
      ws.terminate();
    }
  }

  ping(): void {
    if (!this.alive) {
      // Said, like a slow consumer's drop: a client whose event loop stalls past a ping interval
      // otherwise sees only a 1006 close, and the node's log shows nothing.
      this.t.deps.logger.warn({ remote: this.scope.remote }, 'rpc: ws peer answered no ping, disconnecting');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  close(code: number, reason: string, ms: number): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.ws.terminate(), ms);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(code, reason);
    });
  }

  private onMessage(data: RawData): void {
    const { deps } = this.t;
    if (deps.state.closing) {
      this.send(SHUTTING_DOWN);
      return;
    }
    const buf = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data as ArrayBuffer);
    const reply = deps.dispatcher.handle(buf, this.scope);
    if (reply === null) return;
    if (typeof reply === 'string') {
      this.send(reply);
      return;
    }
    deps.inflight.inc();
    reply.then(
      (r) => {
        deps.inflight.dec();
        if (r !== null) this.send(r);
      },
      (err: unknown) => {
        deps.inflight.dec();
        deps.logger.error({ err }, 'rpc: dispatch failed');
      },
    );
  }

  private onClose(): void {
    this.t.connections.delete(this);
    this.t.deps.topics.drop(this);
    this.t.deps.dispatcher.closeScope(this.scope, CLOSED);
  }
}

/** An HTTP error response written on the raw socket of a refused upgrade. */
function rejectUpgrade(socket: Duplex, err: RpcError): void {
  const body = errorBody(err);
  const extra = err.httpStatus === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.end(
    `HTTP/1.1 ${err.httpStatus} ${STATUS_CODES[err.httpStatus] ?? ''}\r\nConnection: close\r\n${extra}` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
