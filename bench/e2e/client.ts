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

export interface FeedStats {
  /** Times the node closed the subscription under the feed (e.g. its slow-consumer rule). */
  drops: number;
  /** Blocks read back through `chain_getBlock` after a drop (timed when read: later than they were final). */
  backfilled: number;
  /** Close codes/reasons seen, for the report. */
  closes: string[];
}

export interface FeedOptions {
  /** Called once if the feed cannot recover (reconnect or back-fill fails past `recoverMs`). */
  onFail: (err: Error) => void;
  log?: (line: string) => void;
  /** How long a reconnect plus back-fill may keep failing before the feed gives up. */
  recoverMs?: number;
  /** Local address of the back-fill reads (a rate-limit bucket of their own). */
  localAddress?: string;
}

interface Wire {
  id?: number;
  error?: unknown;
  method?: string;
  params?: { result: { header: { height: number; time: number }; txs: string[] } };
}

/**
 * `subscribe('finalized')` on one validator; calls `on` for each finalized block, in height order,
 * each height once. The node drops a subscriber that falls `wsMaxBufferedBytes` behind (rpc/ws.ts):
 * then the feed reconnects and reads the heights it missed through `chain_getBlock`, so no finalized
 * tx goes untimed; if it cannot recover within `recoverMs` it calls `onFail` (never a silent stop).
 */
export class FinalizedFeed {
  private ws: WebSocket | undefined;
  private closed = false;
  private failed = false;
  /** The next height `on` expects (0: none seen yet, take the first as it comes). */
  private next = 0;
  /** Deliveries in order: live events wait for a back-fill in progress. */
  private chain: Promise<void> = Promise.resolve();
  private readonly reader: Conn;
  readonly stats: FeedStats = { drops: 0, backfilled: 0, closes: [] };

  constructor(
    readonly node: number,
    private readonly url: string,
    private readonly on: (e: FinalizedEvent) => void,
    private readonly o: FeedOptions,
  ) {
    this.reader = new Conn(node, url, o.localAddress ?? '127.0.0.1');
  }

  /** The first subscription: rejects if the node does not accept it within 15 s. */
  open(): Promise<void> {
    return this.connect();
  }

  private connect(): Promise<void> {
    const ws = new WebSocket(this.url.replace(/^http/, 'ws'), { perMessageDeflate: false });
    this.ws = ws;
    return new Promise((resolve, reject) => {
      let subscribed = false;
      const t = setTimeout(() => {
        reject(new Error(`no subscription on ${this.url}`));
        ws.terminate();
      }, 15_000);
      ws.on('error', (e) => {
        clearTimeout(t);
        if (!subscribed) reject(e);
      });
      ws.on('open', () =>
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: ['finalized'] })),
      );
      ws.on('close', (code, reason) => {
        clearTimeout(t);
        if (!subscribed) reject(new Error(`subscription on ${this.url} closed (${code})`));
        else if (!this.closed && this.ws === ws) this.onDrop(code, reason.toString('utf8'));
      });
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as Wire;
        if (m.id === 1) {
          clearTimeout(t);
          if (m.error) reject(new Error(`subscribe failed: ${JSON.stringify(m.error)}`));
          else {
            subscribed = true;
            resolve();
          }
          return;
        }
        if (m.method === 'subscription' && m.params) {
          const r = m.params.result;
          this.enqueue({ node: this.node, height: r.header.height, time: r.header.time, txs: r.txs });
        }
      });
    });
  }

  private enqueue(e: FinalizedEvent): void {
    this.chain = this.chain.then(() => this.deliver(e)).catch((err: unknown) => this.fail(err));
  }

  /** Delivers `e` after the heights between the last delivered and it (read back if missing). */
  private async deliver(e: FinalizedEvent): Promise<void> {
    if (this.closed || this.failed) return;
    if (this.next === 0) this.next = e.height;
    if (e.height < this.next) return; // already delivered (read back before the live event came)
    if (e.height > this.next) await this.backfill(e.height - 1);
    this.on(e);
    this.next = e.height + 1;
  }

  /** Reads heights next..to through chain_getBlock and delivers them. */
  private async backfill(to: number): Promise<void> {
    const deadline = performance.now() + (this.o.recoverMs ?? 60_000);
    while (this.next <= to && !this.closed) {
      const from = this.next;
      const n = Math.min(16, to - from + 1);
      let body = '[';
      for (let k = 0; k < n; k++)
        body += `${k === 0 ? '' : ','}{"jsonrpc":"2.0","id":${k},"method":"chain_getBlock","params":[${from + k}]}`;
      let replies: RpcReply[] | undefined;
      try {
        const res = await this.reader.post(`${body}]`);
        if (res.status === 200 && Array.isArray(res.body)) replies = res.body as RpcReply[];
        else if (res.status !== 429) throw new Error(`HTTP ${res.status}`);
      } catch (err) {
        if (performance.now() > deadline) throw err;
      }
      const byId = new Map((replies ?? []).map((r) => [r.id, r]));
      for (let k = 0; k < n; k++) {
        const r = byId.get(k);
        const b = r?.result as { header: { height: number; time: number }; txs: string[] } | undefined;
        if (b === undefined) break; // an error (rate limit, not yet stored here): retry from this height
        this.stats.backfilled++;
        this.on({ node: this.node, height: b.header.height, time: b.header.time, txs: b.txs });
        this.next = b.header.height + 1;
      }
      if (this.next === from) {
        const why = JSON.stringify(replies?.find((r) => r.error !== undefined)?.error ?? 'no reply');
        if (performance.now() > deadline) throw new Error(`cannot read back block ${from}: ${why}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private onDrop(code: number, reason: string): void {
    this.stats.drops++;
    if (this.stats.closes.length < 20) this.stats.closes.push(`${code}${reason ? ` ${reason}` : ''}`);
    this.o.log?.(`finalized feed of node ${this.node} closed (${code}) at height ${this.next - 1}: reconnecting`);
    const deadline = performance.now() + (this.o.recoverMs ?? 60_000);
    const retry = (): void => {
      if (this.closed || this.failed) return;
      this.connect().then(
        // Heights finalized while unsubscribed: read back up to the head before the next live event.
        () => this.catchUp(),
        (err: unknown) => {
          if (performance.now() > deadline) this.fail(err);
          else setTimeout(retry, 500);
        },
      );
    };
    retry();
  }

  /** After a reconnect: back-fill to the node's head (live events then queue behind it). */
  private catchUp(): void {
    this.chain = this.chain
      .then(async () => {
        const res = await this.reader.post('{"jsonrpc":"2.0","id":0,"method":"chain_getStatus"}');
        const head = (res.body as { result?: { headHeight: number } } | null)?.result?.headHeight;
        if (head === undefined) throw new Error(`chain_getStatus: HTTP ${res.status}`);
        if (this.next > 0) await this.backfill(head);
      })
      .catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    const e = err instanceof Error ? err : new Error(String(err));
    this.o.onFail(new Error(`finalized feed of node ${this.node} lost: ${e.message}`));
  }

  close(): void {
    this.closed = true;
    this.ws?.terminate();
    this.reader.close();
  }
}
