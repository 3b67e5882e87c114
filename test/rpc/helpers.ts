/** Test helpers: raw HTTP posts and scripted WebSocket conversations against a real server. */
import { type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed body, or undefined when the body is empty or not JSON. */
  json: unknown;
}

export interface PostOptions {
  method?: string;
  path?: string;
  headers?: OutgoingHttpHeaders;
  /** Source address (e.g. 127.0.0.2 to be a different client for the rate limiter). */
  localAddress?: string;
  /** Write the body in pieces (chunked transfer) instead of with a Content-Length. */
  chunked?: boolean;
  /** Send no Authorization header even when MEDCHAIN_RPC_TOKEN (the test nodes' operator token) is set. */
  anonymous?: boolean;
}

/**
 * Test nodes (test/helpers/procs.ts) read personal data only with their operator token, which the
 * helpers put in MEDCHAIN_RPC_TOKEN: calls carry it unless they set their own header or ask not to.
 */
export function withDefaultToken(headers: OutgoingHttpHeaders = {}, anonymous = false): OutgoingHttpHeaders {
  const token = process.env.MEDCHAIN_RPC_TOKEN;
  if (anonymous || token === undefined || token === '' || headers.authorization !== undefined) return headers;
  return { ...headers, authorization: `Bearer ${token}` };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** One request on a fresh connection; the body is sent exactly as given. */
export function post(url: string, body: string | Buffer | null, opts: PostOptions = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: opts.path ?? '/',
        method: opts.method ?? 'POST',
        headers: { ...JSON_HEADERS, ...withDefaultToken(opts.headers, opts.anonymous) },
        agent: false,
        ...(opts.localAddress !== undefined && { localAddress: opts.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (body === null) req.end();
    else if (opts.chunked) {
      const b = Buffer.from(body);
      const half = b.length >> 1;
      req.write(b.subarray(0, half));
      req.end(b.subarray(half));
    } else req.end(body);
  });
}

let nextId = 1;

/** A JSON-RPC call over HTTP; resolves to the parsed response object. */
export async function call(url: string, method: string, params?: unknown, opts: PostOptions = {}): Promise<RpcReply> {
  const msg: Record<string, unknown> = { jsonrpc: '2.0', id: nextId++, method };
  if (params !== undefined) msg.params = params;
  const res = await post(url, JSON.stringify(msg), opts);
  return res.json as RpcReply;
}

export interface RpcReply {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** Raw TCP socket for slowloris-style tests; resolves once connected. */
export function rawSocket(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves with everything the peer sent once it closes the socket. */
export function untilClosed(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => resolve(text));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A WebSocket conversation: send frames, wait for replies by id or for notifications. */
export class WsClient {
  private readonly inbox: unknown[] = [];
  private waiters: (() => void)[] = [];
  private id = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.inbox.push(JSON.parse(data.toString('utf8')));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('error', () => {});
  }

  static connect(url: string, headers: Record<string, string> = {}, anonymous = false): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: withDefaultToken(headers, anonymous) as Record<string, string> });
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('error', reject);
    });
  }

  /** The HTTP status of a refused upgrade. */
  static refusedStatus(url: string, headers: Record<string, string> = {}, anonymous = false): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: withDefaultToken(headers, anonymous) as Record<string, string> });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('upgrade was accepted')));
      ws.on('error', () => {});
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  }

  /** Sends a call and waits for the response carrying its id. */
  async call(method: string, params?: unknown): Promise<RpcReply> {
    const id = this.id++;
    const msg: Record<string, unknown> = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    this.send(msg);
    return (await this.take((m) => (m as RpcReply).id === id)) as RpcReply;
  }

  /** The next message (in arrival order) that satisfies `pred`; rejects after `ms` or on close. */
  async take(pred: (m: unknown) => boolean = () => true, ms = 5000): Promise<unknown> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i !== -1) return this.inbox.splice(i, 1)[0];
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Next subscription notification, optionally of one subscription id. */
  notification(sub?: string, ms?: number): Promise<{ subscription: string; result: unknown }> {
    return this.take((m) => {
      const n = m as { method?: string; params?: { subscription?: string } };
      return n.method === 'subscription' && (sub === undefined || n.params?.subscription === sub);
    }, ms).then((m) => (m as { params: { subscription: string; result: unknown } }).params);
  }

  /** Messages received and not yet taken. */
  get pending(): number {
    return this.inbox.length;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
