import { TX_MAX_BYTES } from '../src/chain/tx.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface P2pOptions {
  /** Chain id: names the gossip topics and must match in the status handshake. */
  chainId: string;
  /** Directory holding the peer key file; null = ephemeral identity (tests, benches). */
  dataDir: string | null;
  /** Multiaddrs to listen on. Loopback by default: exposing the node is an explicit choice. */
  listen: string[];
  /** Static/bootstrap peers, full multiaddrs ending in /p2p/<peer id>; kept connected with backoff. */
  peers: string[];
  /** Admit any peer (read-only full nodes); false = only `allowedPeers`. */
  open: boolean;
  /** Peer ids admitted in permissioned mode: the current validators plus configured full nodes. */
  allowedPeers: string[];
  maxConnections: number;
  dialTimeoutMs: number;
  /** Reconnect backoff for static peers: base doubles per failure up to max (with jitter). */
  reconnectBaseMs: number;
  reconnectMaxMs: number;

  /** Largest gossip message accepted or published (a tx bundle, a proposal). */
  maxGossipBytes: number;
  /** Gossipsub mesh degree; small PoA networks need no more than the default 6. */
  gossipD: number;
  gossipHeartbeatMs: number;

  /** The status exchange must finish within this, or the connection is closed. */
  statusTimeoutMs: number;
  /** Re-exchange status on outbound connections this often to keep peer heights fresh. */
  statusIntervalMs: number;
  /** How long a peer on another chain/genesis stays refused. */
  incompatibleBanMs: number;

  /** Score lost per rejected gossip message / per ignored one. */
  rejectPenalty: number;
  ignorePenalty: number;
  /** At or below this score a peer is disconnected and banned for `banMs`. */
  banThreshold: number;
  banMs: number;
  /** Penalties fade with this half-life, so rare honest mistakes never add up to a ban. */
  scoreHalfLifeMs: number;
}

export const defaultP2pOptions: Omit<P2pOptions, 'chainId'> = {
  dataDir: null,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  peers: [],
  open: false,
  allowedPeers: [],
  maxConnections: 64,
  dialTimeoutMs: 5_000,
  reconnectBaseMs: 250,
  reconnectMaxMs: 30_000,

  maxGossipBytes: 4 * MiB,
  gossipD: 6,
  gossipHeartbeatMs: 700,

  statusTimeoutMs: 5_000,
  statusIntervalMs: 10_000,
  incompatibleBanMs: 60 * 60_000,

  rejectPenalty: 10,
  ignorePenalty: 0,
  banThreshold: -100,
  banMs: 10 * 60_000,
  scoreHalfLifeMs: 60_000,
};

export interface BundleLimits {
  maxItems: number;
  maxItemBytes: number;
  /** Whole encoded bundle; default: the most `maxItems` items of `maxItemBytes` can take. */
  maxBytes?: number;
}

/**
 * Transaction bundles: one gossip message carries many txs (docs/ARCHITECTURE.md, platform facts:
 * gossipsub tops out at thousands of msg/s). The sender flushes within these
 * limits and the receiver refuses anything beyond them, so one peer message
 * can cost at most `maxItems` signature checks.
 */
export interface TxBundlerOptions {
  /** Flush when this many items are queued; no bundle holds more. */
  maxItems: number;
  /** Flush before the encoded bundle would exceed this many bytes; no bundle is larger. */
  maxBytes: number;
  /** One signed tx at most (TX_MAX_BYTES). */
  maxItemBytes: number;
  /** Flush this long after the first queued item at the latest. */
  maxDelayMs: number;
  /** Tx hashes remembered as admitted or invalid, so a repeat costs no signature check. */
  seenCacheSize: number;
  /** Bundles in validation at once; more are dropped unjudged (a flood queues no unbounded work). */
  maxValidating: number;
}

export const defaultTxBundlerOptions: TxBundlerOptions = {
  maxItems: 500,
  maxBytes: 256 * KiB,
  maxItemBytes: TX_MAX_BYTES,
  maxDelayMs: 20,
  seenCacheSize: 65_536,
  maxValidating: 16,
};

export interface ReqRespOptions {
  protocol: string;
  maxRequestBytes: number;
  maxResponseBytes: number;
  timeoutMs: number;
  /** Requests outstanding per peer (client side) and handlers running per stream (server side). */
  maxInFlight: number;
}

export const defaultReqRespOptions: Omit<ReqRespOptions, 'protocol'> = {
  maxRequestBytes: 64 * KiB,
  maxResponseBytes: 4 * MiB,
  timeoutMs: 10_000,
  maxInFlight: 256,
};
