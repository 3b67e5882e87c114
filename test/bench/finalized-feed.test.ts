/**
 * The e2e load generator's finality feed against a fake node: when the node drops the subscription
 * (its slow-consumer rule), the feed reconnects and reads the missed heights back through
 * chain_getBlock, delivering every height once and in order; when the node stays away, the feed
 * reports the loss instead of going quiet.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type WebSocket, WebSocketServer } from 'ws';
import { type FinalizedEvent, FinalizedFeed } from '../../bench/e2e/client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (ok: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 3000 && !ok(); i++) await sleep(10);
  assert.ok(ok(), what);
};

/** Blocks 1..head, each with two tx hashes derived from its height; publishes to live subscribers. */
class FakeNode {
  head = 0;
  refuse = false;
  readonly subs = new Set<WebSocket>();
  readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  url = '';

  constructor() {
    this.server = createServer((req, res) => this.rpc(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      if (this.refuse) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (d: Buffer) => {
          const m = JSON.parse(d.toString()) as { id: number };
          this.subs.add(ws);
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: '0xsub' }));
        });
        ws.on('close', () => this.subs.delete(ws));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  block(h: number): { header: { height: number; time: number }; txs: string[] } {
    return { header: { height: h, time: 1000 * h }, txs: [`0x${h}a`, `0x${h}b`] };
  }

  commit(): void {
    this.head++;
    const msg = JSON.stringify({ jsonrpc: '2.0', method: 'subscription', params: { result: this.block(this.head) } });
    for (const ws of this.subs) ws.send(msg);
  }

  /** What rpc/ws.ts does to a consumer too slow: terminate, no close frame. */
  dropAll(): void {
    for (const ws of this.subs) ws.terminate();
    this.subs.clear();
  }

  private rpc(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const one = (m: { id: number; method: string; params: number[] }): unknown => {
        if (m.method === 'chain_getStatus') return { jsonrpc: '2.0', id: m.id, result: { headHeight: this.head } };
        const h = m.params[0] as number;
        return h <= this.head
          ? { jsonrpc: '2.0', id: m.id, result: this.block(h) }
          : { jsonrpc: '2.0', id: m.id, error: { code: 1001, message: 'block not found' } };
      };
      const parsed = JSON.parse(body) as Parameters<typeof one>[0] | Parameters<typeof one>[0][];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(one) : one(parsed)));
    });
  }

  async close(): Promise<void> {
    this.dropAll();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const t = suite<{ node: FakeNode }>('e2e finalized feed');
t.before.each(async (ctx) => {
  ctx.node = new FakeNode();
  await ctx.node.listen();
});
t.after.each(async (ctx) => {
  await ctx.node.close();
});

t('a dropped subscription is resumed and the missed heights are read back, each once, in order', async ({ node }) => {
  const got: FinalizedEvent[] = [];
  const failures: Error[] = [];
  const feed = new FinalizedFeed(0, node.url, (e) => got.push(e), {
    onFail: (e) => failures.push(e),
    localAddress: '127.0.0.1',
  });
  await feed.open();
  node.commit();
  node.commit();
  await until(() => got.length === 2, 'live heights 1, 2');
  node.dropAll();
  // Final while the feed is away: only chain_getBlock can tell it.
  node.commit();
  node.commit();
  node.commit();
  await until(() => got.length === 5, 'heights 3..5 read back after the feed subscribed again');
  assert.is(node.subs.size, 1);
  node.commit();
  await until(() => got.length === 6, 'heights 3..6');
  assert.equal(
    got.map((e) => e.height),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(got[3]?.txs, ['0x4a', '0x4b']);
  assert.is(feed.stats.drops, 1);
  assert.is(feed.stats.backfilled, 3);
  assert.equal(failures, []);
  feed.close();
});

t('a node that does not take the feed back makes it report the loss, not go quiet', async ({ node }) => {
  const failures: Error[] = [];
  const feed = new FinalizedFeed(0, node.url, () => {}, {
    onFail: (e) => failures.push(e),
    recoverMs: 300,
    localAddress: '127.0.0.1',
  });
  await feed.open();
  node.commit();
  node.refuse = true;
  node.dropAll();
  await until(() => failures.length === 1, 'the loss reported');
  assert.match(failures[0]?.message ?? '', /finalized feed of node 0 lost/);
  feed.close();
});

t.run();
