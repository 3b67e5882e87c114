/**
 * JSON-RPC plumbing of the load generator: keep-alive HTTP connections with
 * batches, each connection bound to its own loopback source address (the
 * node's RPC rate limit is per client address; 127.0.0.0/8 is all loopback),
 * and a WebSocket subscription to `finalized` on every validator.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

export interface RpcReply {
  id?: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** One keep-alive connection to one validator from one source address. */
export class Conn {
  private agent: Agent;
  private readonly url: URL;
  busy = 0;

  constructor(
    readonly node: number,
    url: string,
    readonly localAddress: string,
  ) {
    this.url = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 });
  }

  /** POSTs a JSON body; resolves with the HTTP status and the parsed body. */
  post(body: string, timeoutMs = 30_000): Promise<{ status: number; body: unknown }> {
    this.busy++;
    return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: '/',
          method: 'POST',
          agent: this.agent,
          localAddress: this.localAddress,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            try {
              parsed = text.length === 0 ? null : JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('rpc timeout')));
      req.on('error', reject);
      req.end(body);
    }).finally(() => {
      this.busy--;
    });
  }

  /** Drops idle keep-alive sockets (the server closes them after its keep-alive timeout). */
  reset(): void {
    this.agent.destroy();
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A single call (status queries, receipts). */
export async function call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const token = process.env.MEDCHAIN_RPC_TOKEN;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as RpcReply;
  if (body.error) throw Object.assign(new Error(`${method}: ${body.error.message}`), { data: body.error.data });
  return body.result as T;
}

export interface FinalizedEvent {
  node: number;
  height: number;
  time: number;
  txs: string[];
}

/** `subscribe('finalized')` on one validator; calls `on` for each finalized block. */
export class FinalizedFeed {
  private ws: WebSocket | undefined;
  private closed = false;

  constructor(
    readonly node: number,
    private readonly url: string,
    private readonly on: (e: FinalizedEvent) => void,
  ) {}

  open(): Promise<void> {
    const ws = new WebSocket(this.url.replace(/^http/, 'ws'), { perMessageDeflate: false });
    this.ws = ws;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no subscription on ${this.url}`)), 15_000);
      ws.on('error', (e) => {
        clearTimeout(t);
        if (!this.closed) reject(e);
      });
      ws.on('open', () =>
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: ['finalized'] })),
      );
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as {
          id?: number;
          error?: unknown;
          method?: string;
          params?: { result: { header: { height: number; time: number }; txs: string[] } };
        };
        if (m.id === 1) {
          clearTimeout(t);
          if (m.error) reject(new Error(`subscribe failed: ${JSON.stringify(m.error)}`));
          else resolve();
          return;
        }
        if (m.method === 'subscription' && m.params) {
          const r = m.params.result;
          this.on({ node: this.node, height: r.header.height, time: r.header.time, txs: r.txs });
        }
      });
    });
  }

  close(): void {
    this.closed = true;
    this.ws?.terminate();
  }
}
