import '../src/polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { type GossipSub, gossipsub, StrictNoSign } from '@libp2p/gossipsub';
import { type Identify, identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Ping, ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { sha256 } from '../src/crypto/hash.js';
import { PeerGater } from './gater.js';
import { Gossip, type GossipKind, type GossipPubSub, gossipTopics } from './gossip.js';
import { type P2pLogger, silentLogger } from './logger.js';
import { defaultP2pOptions, defaultReqRespOptions, type P2pOptions, type ReqRespOptions } from './options.js';
import { ephemeralPeerKey, loadOrCreatePeerKey } from './peer-key.js';
import { ReqResp, type RequestHandler } from './reqresp.js';
import { PeerScorer } from './scoring.js';
import { StaticPeers } from './static-peers.js';
import { type StatusProvider, StatusService } from './status.js';

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type HostServices = {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
};

export interface HostDeps {
  /** Our `{chainId, genesisHash, height}`, asked at every status exchange. */
  status: StatusProvider;
  log?: P2pLogger;
  /** Overrides the key from `dataDir` (tests that need a known identity). */
  privateKey?: PrivateKey;
  now?: () => number;
}

export type HostOptions = Partial<P2pOptions> & Pick<P2pOptions, 'chainId'>;

/** Builds and starts the libp2p host with permissioning, status, gossip and scoring wired together. */
export async function createHost(opts: HostOptions, deps: HostDeps): Promise<P2pHost> {
  const o: P2pOptions = { ...defaultP2pOptions, ...opts };
  const log = deps.log ?? silentLogger;
  const now = deps.now ?? Date.now;
  const privateKey =
    deps.privateKey ?? (o.dataDir === null ? await ephemeralPeerKey() : await loadOrCreatePeerKey(o.dataDir));
  const gater = new PeerGater({ open: o.open, allowedPeers: o.allowedPeers }, { now });
  const topics = gossipTopics(o.chainId);

  const libp2p = await createLibp2p<HostServices>({
    privateKey,
    addresses: { listen: o.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: gater,
    connectionManager: {
      maxConnections: o.maxConnections,
      dialTimeout: o.dialTimeoutMs,
      // StaticPeers owns reconnection (with our ban checks); libp2p's own would race it.
      reconnectRetries: 0,
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // Validators are known organizations and the payloads carry their own signatures:
        // per-message libp2p signatures only cost throughput (docs/ARCHITECTURE.md, platform facts: ~3x).
        globalSignaturePolicy: StrictNoSign,
        // Content-addressed ids: the same tx bundle from two peers is one message.
        msgIdFn: (msg) => sha256(msg.data),
        msgIdToStrFn: (id) => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64'),
        allowedTopics: Object.values(topics),
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        // One RPC may carry several messages (IWANT replies), hence headroom over one message.
        maxInboundDataLength: 4 * o.maxGossipBytes,
        fallbackToFloodsub: false,
        doPX: false,
        emitSelf: false,
        D: o.gossipD,
        Dlo: Math.max(1, o.gossipD - 2),
        Dhi: o.gossipD * 2,
        heartbeatInterval: o.gossipHeartbeatMs,
      }),
    },
  });

  const host = new P2pHost(o, { libp2p, gater, log, now, status: deps.status });
  await host.start();
  return host;
}

interface P2pHostDeps {
  libp2p: Libp2p<HostServices>;
  gater: PeerGater;
  log: P2pLogger;
  now(): number;
  status: StatusProvider;
}

/** The node's p2p face: bytes and callbacks only; chain types are wired on top by the composition root. */
export class P2pHost {
  readonly libp2p: Libp2p<HostServices>;
  readonly gater: PeerGater;
  readonly scorer: PeerScorer;
  readonly gossip: Gossip;
  readonly status: StatusService;
  readonly topics: Record<GossipKind, string>;
  private readonly staticPeers: StaticPeers;
  private readonly protocols: ReqResp[] = [];
  private readonly log: P2pLogger;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly opts: P2pOptions,
    deps: P2pHostDeps,
  ) {
    const { libp2p, gater, log, now } = deps;
    this.libp2p = libp2p;
    this.gater = gater;
    this.log = log;
    this.topics = gossipTopics(opts.chainId);
    this.scorer = new PeerScorer(opts, {
      now,
      ban: (id, ms) => gater.ban(id, ms),
      disconnect: (id) => void this.disconnect(id),
      onBan: (id, score) => log.warn({ peer: id, score }, 'peer banned for invalid gossip'),
    });
    this.gossip = new Gossip(opts, {
      pubsub: libp2p.services.pubsub as unknown as GossipPubSub,
      scorer: this.scorer,
      log,
    });
    this.status = new StatusService(opts, { libp2p, local: deps.status, ban: (id, ms) => gater.ban(id, ms), log });
    this.staticPeers = new StaticPeers(opts, {
      dial: (addr, signal) => libp2p.dial(addr, { signal }),
      isConnected: (id) => libp2p.getConnections(peerIdFromString(id)).some((c) => c.status === 'open'),
      banRemaining: (id) => gater.banRemaining(id),
      log,
    });
    libp2p.addEventListener('peer:disconnect', (evt) => this.staticPeers.onDisconnect(evt.detail.toString()));
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  /** Listening addresses including `/p2p/<peer id>`, ready to hand to other nodes' `peers`. */
  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  connectedPeers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  peerHeights(): Map<string, number> {
    return this.status.peerHeights();
  }

  async start(): Promise<void> {
    await this.status.start();
    this.staticPeers.start();
    this.log.info({ peer: this.peerId, addrs: this.multiaddrs() }, 'p2p host started');
  }

  /** New allowlist (validator set change): connected peers no longer admitted are dropped. */
  setAllowed(peerIds: Iterable<string>): void {
    this.gater.setAllowed(peerIds);
    for (const id of this.connectedPeers()) if (!this.gater.isAdmitted(id)) void this.disconnect(id);
  }

  async dial(addr: string): Promise<void> {
    await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) });
  }

  async disconnect(peerId: string): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peerId)).catch((err: unknown) => {
      this.log.debug({ peer: peerId, err: String(err) }, 'hang up failed');
    });
  }

  /** Registers a request/response protocol; `handler` null makes this node a client only. */
  async reqresp(
    protocol: string,
    handler: RequestHandler | null,
    opts: Partial<Omit<ReqRespOptions, 'protocol'>> = {},
  ): Promise<ReqResp> {
    const rr = new ReqResp(
      { ...defaultReqRespOptions, ...opts, protocol },
      { libp2p: this.libp2p, handler, log: this.log },
    );
    await rr.start();
    this.protocols.push(rr);
    return rr;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.staticPeers.stop();
    for (const rr of this.protocols) await rr.stop();
    await this.status.stop();
    this.gossip.close();
    await this.libp2p.stop();
  }
}
