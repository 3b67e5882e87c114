/**
 * A p2p host in its own process, driven over IPC by bench/p2p.bench.ts, so
 * each host of a benchmark gets its own event loop as in a real deployment.
 * Not part of the node; it only imports the public p2p pieces.
 */
import '../../src/polyfill.js';
import { lpStream } from '@libp2p/utils';
import { sha256 } from '../../src/crypto/hash.js';
import { decodeBundle, TxBundler } from '../bundle.js';
import { createHost, type P2pHost } from '../host.js';
import { GossipReason } from '../validation.js';

export type BenchCommand =
  | { cmd: 'start'; chainId: string; dial?: string }
  | { cmd: 'mesh' }
  | { cmd: 'count'; total: number }
  | { cmd: 'publish'; total: number; itemBytes: number; bundleItems: number }
  | { cmd: 'serve'; protocol: string; streamProtocol: string }
  | { cmd: 'stop' };

export type BenchReply =
  | { ok: 'started'; peerId: string; addr: string }
  | { ok: 'mesh'; peers: number }
  | { ok: 'counted'; items: number; firstAt: number; lastAt: number }
  | { ok: 'published'; bundles: number }
  | { ok: 'serving' }
  | { ok: 'stopped' }
  | { error: string };

const LIMITS = { maxItems: 1000, maxItemBytes: 4096 };
const GENESIS = new Uint8Array(32);

let host: P2pHost | null = null;
let delivered = 0;
let firstAt = 0;
let waiting: { total: number; done: () => void } | null = null;

function send(r: BenchReply): void {
  process.send?.(r);
}

async function start(c: Extract<BenchCommand, { cmd: 'start' }>): Promise<void> {
  const h = await createHost(
    { chainId: c.chainId, open: true, gossipHeartbeatMs: 200 },
    { status: () => ({ chainId: c.chainId, genesisHash: GENESIS, height: 0 }) },
  );
  host = h;
  h.gossip.subscribe(h.topics.tx, {
    // What a real node does before touching the items: the size-checked canonical decode.
    validate: (data) => {
      try {
        decodeBundle(data, LIMITS);
        return 'accept';
      } catch {
        return GossipReason.MALFORMED;
      }
    },
    onMessage: (data) => {
      if (delivered === 0) firstAt = performance.now();
      delivered += decodeBundle(data, LIMITS).length;
      if (waiting !== null && delivered >= waiting.total) waiting.done();
    },
  });
  if (c.dial !== undefined) await h.dial(c.dial);
  send({ ok: 'started', peerId: h.peerId, addr: h.multiaddrs()[0] as string });
}

async function publish(h: P2pHost, c: Extract<BenchCommand, { cmd: 'publish' }>): Promise<void> {
  let bundles = 0;
  const sent: Promise<unknown>[] = [];
  const bundler = new TxBundler(
    { maxItems: c.bundleItems, maxBytes: 1 << 20, maxDelayMs: 20 },
    {
      publish: (b) => {
        bundles++;
        sent.push(h.gossip.publish(h.topics.tx, b));
      },
    },
  );
  const run = Math.floor(Math.random() * 2 ** 32);
  for (let i = 0; i < c.total; i++) {
    const item = new Uint8Array(c.itemBytes);
    // Distinct items across runs too: a repeated bundle has the same id and is dropped as a duplicate.
    const v = new DataView(item.buffer);
    v.setUint32(0, run);
    v.setUint32(4, i);
    bundler.add(item);
    // Let the socket drain between bundles instead of queueing everything first.
    if (bundler.pending === 0) await new Promise((r) => setImmediate(r));
  }
  bundler.close();
  await Promise.all(sent);
  send({ ok: 'published', bundles });
}

async function serve(h: P2pHost, c: Extract<BenchCommand, { cmd: 'serve' }>): Promise<void> {
  await h.reqresp(c.protocol, async (req) => sha256(req), { maxInFlight: 1024 });
  // The comparison: one stream per request.
  await h.libp2p.handle(
    c.streamProtocol,
    async (stream) => {
      const lp = lpStream(stream);
      const req = await lp.read();
      await lp.write(sha256(req.subarray()));
      await stream.close();
    },
    { maxInboundStreams: 256 },
  );
  send({ ok: 'serving' });
}

async function handle(c: BenchCommand): Promise<void> {
  if (c.cmd === 'start') return start(c);
  const h = host;
  if (h === null) throw new Error('not started');
  switch (c.cmd) {
    case 'mesh':
      return send({ ok: 'mesh', peers: h.gossip.meshPeers(h.topics.tx).length });
    case 'count':
      await new Promise<void>((done) => {
        waiting = { total: c.total, done };
        if (delivered >= c.total) done();
      });
      return send({ ok: 'counted', items: delivered, firstAt, lastAt: performance.now() });
    case 'publish':
      return publish(h, c);
    case 'serve':
      return serve(h, c);
    case 'stop':
      await h.close();
      send({ ok: 'stopped' });
      process.disconnect?.();
      return;
  }
}

process.on('message', (c: BenchCommand) => {
  handle(c).catch((err: unknown) => send({ error: err instanceof Error ? err.message : String(err) }));
});
// The driver went away: do not linger.
process.on('disconnect', () => {
  void (host?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
