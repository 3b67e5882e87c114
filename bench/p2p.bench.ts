import '../src/polyfill.js';
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { createHost } from '../p2p/host.js';
import type { BenchCommand, BenchReply } from '../p2p/tools/bench-node.js';
import { round } from './measure.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

const NODE_SCRIPT = fileURLToPath(new URL('../p2p/tools/bench-node.js', import.meta.url));
const CHAIN = 'bench';
const CALL_TIMEOUT_MS = 120_000;

type OkKind = Extract<BenchReply, { ok: string }>['ok'];

/** One host process; commands are answered in order, one at a time. */
class NodeProcess {
  private readonly child: ChildProcess;
  private waiter: { resolve(r: BenchReply): void; reject(e: Error): void } | null = null;

  constructor() {
    // stdout ignored: the runner's stdout carries the JSON results.
    this.child = fork(NODE_SCRIPT, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (r: BenchReply) => {
      const w = this.waiter;
      this.waiter = null;
      if ('error' in r) w?.reject(new Error(r.error));
      else w?.resolve(r);
    });
    this.child.on('exit', () => this.waiter?.reject(new Error('bench node exited')));
  }

  call<K extends OkKind>(cmd: BenchCommand, expect: K): Promise<Extract<BenchReply, { ok: K }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench node: ${cmd.cmd} timed out`)), CALL_TIMEOUT_MS);
      this.waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          if ('ok' in r && r.ok === expect) resolve(r as Extract<BenchReply, { ok: K }>);
          else reject(new Error(`bench node: expected ${expect}, got ${JSON.stringify(r)}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.send(cmd);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.call({ cmd: 'stop' }, 'stopped').catch(() => this.child.kill());
    await exited;
  }
}

async function waitMesh(nodes: Array<[NodeProcess, number]>): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const counts = await Promise.all(nodes.map(([n]) => n.call({ cmd: 'mesh' }, 'mesh')));
    if (counts.every((c, j) => c.peers >= (nodes[j]?.[1] ?? 0))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gossip mesh did not form');
}

/** A publishes 200-byte items in bundles; C counts the items it receives; three processes in a line A→B→C. */
async function gossipTx(ctx: BenchContext): Promise<BenchResult> {
  const total = Number(ctx.flags.items ?? 200_000);
  const itemBytes = Number(ctx.flags['item-bytes'] ?? 200);
  const bundleItems = Number(ctx.flags['bundle-items'] ?? 500);
  const warm = 20 * bundleItems;
  const [a, b, c] = [new NodeProcess(), new NodeProcess(), new NodeProcess()];
  try {
    const cr = await c.call({ cmd: 'start', chainId: CHAIN }, 'started');
    const br = await b.call({ cmd: 'start', chainId: CHAIN, dial: cr.addr }, 'started');
    await a.call({ cmd: 'start', chainId: CHAIN, dial: br.addr }, 'started');
    await waitMesh([
      [a, 1],
      [b, 2],
      [c, 1],
    ]);
    ctx.log(`mesh ready; warm-up ${warm} items`);
    const warmed = c.call({ cmd: 'count', total: warm }, 'counted');
    await a.call({ cmd: 'publish', total: warm, itemBytes, bundleItems }, 'published');
    await warmed;

    ctx.log(`publishing ${total} items of ${itemBytes} B in bundles of ${bundleItems}`);
    const t0 = performance.now();
    const counted = c.call({ cmd: 'count', total: warm + total }, 'counted');
    const pub = await a.call({ cmd: 'publish', total, itemBytes, bundleItems }, 'published');
    const publishedMs = performance.now() - t0;
    await counted;
    const seconds = (performance.now() - t0) / 1000;
    const rate = total / seconds;
    return {
      id: 'p2p.gossip.tx',
      ops_per_s: round(rate),
      items: total,
      bundles: pub.bundles,
      item_bytes: itemBytes,
      bundle_items: bundleItems,
      publish_ms: round(publishedMs),
      mib_per_s: round((rate * itemBytes) / 1048576, 1),
      processes: 3,
    };
  } finally {
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
}

/** Keeps `concurrency` requests in flight for `ms`; returns completed requests/s. */
async function drive(concurrency: number, ms: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  const deadline = t0 + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await one(w * 1_000_000 + i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** Requests/s from this process to a server process: one pipelined stream vs a new stream per request. */
async function reqresp(ctx: BenchContext): Promise<BenchResult> {
  const ms = Number(ctx.flags.seconds ?? 2) * 1000;
  const window = Number(ctx.flags.window ?? 128);
  const streamWindow = Number(ctx.flags['stream-window'] ?? 16);
  const protocol = '/medchain/bench-rr/1';
  const streamProtocol = '/medchain/bench-rr-stream/1';
  const server = new NodeProcess();
  const client = await createHost(
    { chainId: CHAIN, open: true },
    { status: () => ({ chainId: CHAIN, genesisHash: new Uint8Array(32), height: 0 }) },
  );
  try {
    const sr = await server.call({ cmd: 'start', chainId: CHAIN }, 'started');
    await server.call({ cmd: 'serve', protocol, streamProtocol }, 'serving');
    const rr = await client.reqresp(protocol, null, { maxInFlight: 1024 });
    await client.dial(sr.addr);
    const req = (i: number): Uint8Array => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setUint32(0, i);
      return b;
    };
    await drive(window, 300, (i) => rr.request(sr.peerId, req(i))); // warm-up
    const pipelined = await drive(window, ms, (i) => rr.request(sr.peerId, req(i)));
    ctx.log(`pipelined: ${round(pipelined)} req/s`);

    const peer = peerIdFromString(sr.peerId);
    const perStream = async (i: number): Promise<void> => {
      const stream = await client.libp2p.dialProtocol(peer, streamProtocol);
      const lp = lpStream(stream); // reader attached before writing
      await lp.write(req(i));
      await lp.read();
      await stream.close();
    };
    await drive(streamWindow, 300, perStream);
    const newStream = await drive(streamWindow, ms, perStream);
    ctx.log(`new stream per request: ${round(newStream)} req/s`);
    return {
      id: 'p2p.reqresp',
      ops_per_s: round(pipelined),
      new_stream_per_req_per_s: round(newStream),
      speedup: round(pipelined / newStream, 1),
      window,
      stream_window: streamWindow,
      processes: 2,
    };
  } finally {
    await client.close();
    await server.stop();
  }
}

export const benchmarks: Benchmark[] = [
  { id: 'p2p.gossip.tx', run: gossipTx },
  { id: 'p2p.reqresp', run: reqresp },
];
