import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { equal } from '../src/codec/bytes.js';
import { asBytes, asString, asTuple, asUint, decodeCanonical, encode } from '../src/codec/cbor.js';
import { P2pError, P2pErrorCode } from './errors.js';
import { errCode } from './gossip.js';
import type { P2pLogger } from './logger.js';

export const STATUS_PROTOCOL = '/medchain/status/1';
const MAX_STATUS_BYTES = 256;
const MAX_CHAIN_ID = 64;

export interface ChainStatus {
  chainId: string;
  genesisHash: Uint8Array;
  height: number;
  /** Peer protocol version (src/version.ts); absent = a node from before versions (protocol 0). */
  protocol?: number;
  /** Node release, informational. */
  version?: string;
}

const MAX_VERSION = 32;

/** Our current status, asked at each exchange (the height moves). */
export type StatusProvider = () => ChainStatus;

export function encodeStatus(s: ChainStatus): Uint8Array {
  if (s.protocol === undefined) return encode([s.chainId, s.genesisHash, s.height]);
  return encode([s.chainId, s.genesisHash, s.height, s.protocol, s.version ?? '']);
}

export function decodeStatus(bytes: Uint8Array): ChainStatus {
  try {
    const v = decodeCanonical(bytes, MAX_STATUS_BYTES);
    const t = asTuple(v, Array.isArray(v) && v.length === 5 ? 5 : 3, 'status');
    const s: ChainStatus = {
      chainId: asString(t[0], 'status.chainId', MAX_CHAIN_ID),
      genesisHash: asBytes(t[1], 'status.genesisHash', 32),
      height: asUint(t[2], 'status.height'),
    };
    if (t.length === 5) {
      s.protocol = asUint(t[3], 'status.protocol', 0xffff);
      s.version = asString(t[4], 'status.version', MAX_VERSION);
    }
    return s;
  } catch (err) {
    throw new P2pError(P2pErrorCode.STATUS_MALFORMED, { cause: errCode(err) });
  }
}

export interface StatusOptions {
  statusTimeoutMs: number;
  statusIntervalMs: number;
  incompatibleBanMs: number;
}

export interface StatusDeps {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'addEventListener' | 'removeEventListener' | 'getConnections'>;
  local: StatusProvider;
  /** Refuse the peer (gater) so it is neither redialled nor let back in. */
  ban(peerId: string, ms: number): void;
  log: P2pLogger;
}

export type StatusListener = (peerId: string, status: ChainStatus) => void;

/**
 * `/medchain/status/1`: on every new connection the dialing side sends
 * `{chainId, genesisHash, height}` and the listening side answers with its
 * own, so both learn the other's. A peer of another chain or genesis is
 * disconnected and banned for `incompatibleBanMs`; a listener that hears
 * nothing within `statusTimeoutMs` closes the connection. Heights are kept
 * per peer for sync target selection and refreshed every `statusIntervalMs`.
 */
export class StatusService {
  private readonly statuses = new Map<string, ChainStatus>();
  private readonly verified = new Set<string>();
  private readonly deadlines = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listeners = new Set<StatusListener>();
  private interval: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly opts: StatusOptions,
    private readonly deps: StatusDeps,
  ) {}

  async start(): Promise<void> {
    await this.deps.libp2p.handle(STATUS_PROTOCOL, (s, c) => this.onInbound(s, c), { maxInboundStreams: 2 });
    this.deps.libp2p.addEventListener('connection:open', this.onOpen);
    this.deps.libp2p.addEventListener('connection:close', this.onClose);
    this.interval = setInterval(() => this.refreshAll(), this.opts.statusIntervalMs);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    if (this.interval !== null) clearInterval(this.interval);
    this.deps.libp2p.removeEventListener('connection:open', this.onOpen);
    this.deps.libp2p.removeEventListener('connection:close', this.onClose);
    for (const t of this.deadlines.values()) clearTimeout(t);
    this.deadlines.clear();
    this.listeners.clear();
    await this.deps.libp2p.unhandle(STATUS_PROTOCOL);
  }

  /** Latest known height of each connected peer that passed the handshake. */
  peerHeights(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, s] of this.statuses) out.set(id, s.height);
    return out;
  }

  peerStatus(peerId: string): ChainStatus | undefined {
    return this.statuses.get(peerId);
  }

  /** A height learnt elsewhere (a proposal, a served block) only ever moves a peer forward. */
  notePeerHeight(peerId: string, height: number): void {
    const s = this.statuses.get(peerId);
    if (s !== undefined && height > s.height) this.statuses.set(peerId, { ...s, height });
  }

  /** Called after each successful exchange; returns an unsubscribe function. */
  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-exchanges status with one peer now (e.g. before choosing a sync target). */
  async refresh(peerId: string): Promise<ChainStatus | undefined> {
    const conn = this.deps.libp2p
      .getConnections()
      .find((c) => c.remotePeer.toString() === peerId && c.status === 'open');
    if (conn === undefined) return undefined;
    await this.exchange(conn);
    return this.statuses.get(peerId);
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    if (conn.direction === 'outbound') {
      this.exchange(conn).catch((err: unknown) => this.fail(conn, err));
    } else if (!this.verified.has(conn.id)) {
      const t = setTimeout(() => {
        this.deadlines.delete(conn.id);
        if (!this.verified.has(conn.id))
          this.fail(conn, new P2pError(P2pErrorCode.REQUEST_TIMEOUT, { what: 'status' }));
      }, this.opts.statusTimeoutMs);
      t.unref();
      this.deadlines.set(conn.id, t);
    }
  };

  private readonly onClose = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    this.verified.delete(conn.id);
    const t = this.deadlines.get(conn.id);
    if (t !== undefined) clearTimeout(t);
    this.deadlines.delete(conn.id);
    const peer = conn.remotePeer.toString();
    if (!this.deps.libp2p.getConnections().some((c) => c.remotePeer.toString() === peer && c.status === 'open')) {
      this.statuses.delete(peer);
    }
  };

  private async exchange(conn: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.opts.statusTimeoutMs);
    const stream = await conn.newStream(STATUS_PROTOCOL, { signal });
    // Reader attached before the first write (docs/ARCHITECTURE.md, platform facts).
    const lp = lpStream(stream, { maxDataLength: MAX_STATUS_BYTES });
    try {
      await lp.write(encodeStatus(this.deps.local()), { signal });
      const theirs = decodeStatus((await lp.read({ signal })).subarray());
      await stream.close({ signal });
      this.check(conn, theirs);
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  private async onInbound(stream: Stream, conn: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.opts.statusTimeoutMs);
    const lp = lpStream(stream, { maxDataLength: MAX_STATUS_BYTES });
    try {
      const theirs = decodeStatus((await lp.read({ signal })).subarray());
      // Answer even on a mismatch, so the dialer sees it too and stops redialling.
      await lp.write(encodeStatus(this.deps.local()), { signal });
      await stream.close({ signal });
      this.check(conn, theirs);
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      this.fail(conn, err);
    }
  }

  private check(conn: Connection, theirs: ChainStatus): void {
    const peer = conn.remotePeer.toString();
    const ours = this.deps.local();
    if (theirs.chainId !== ours.chainId || !equal(theirs.genesisHash, ours.genesisHash)) {
      this.deps.log.warn({ peer, chainId: theirs.chainId }, 'peer on another chain or genesis; banning');
      this.deps.ban(peer, this.opts.incompatibleBanMs);
      conn.abort(new P2pError(P2pErrorCode.STATUS_MISMATCH, { peer }));
      return;
    }
    if ((theirs.protocol ?? 0) !== (ours.protocol ?? 0)) {
      this.deps.log.warn(
        {
          peer,
          peerProtocol: theirs.protocol ?? 0,
          peerVersion: theirs.version ?? null,
          ourProtocol: ours.protocol ?? 0,
        },
        'peer speaks an incompatible protocol version; refusing it (upgrade one of the two nodes)',
      );
      this.deps.ban(peer, this.opts.incompatibleBanMs);
      conn.abort(new P2pError(P2pErrorCode.STATUS_MISMATCH, { peer }));
      return;
    }
    this.verified.add(conn.id);
    const t = this.deadlines.get(conn.id);
    if (t !== undefined) clearTimeout(t);
    this.deadlines.delete(conn.id);
    if (conn.status !== 'open') return;
    this.statuses.set(peer, theirs);
    for (const l of this.listeners) l(peer, theirs);
  }

  private fail(conn: Connection, err: unknown): void {
    if (conn.status !== 'open') return;
    this.deps.log.debug({ peer: conn.remotePeer.toString(), err: errCode(err) }, 'status exchange failed; closing');
    conn.close().catch(() => conn.abort(new P2pError(P2pErrorCode.STREAM_CLOSED)));
  }

  private refreshAll(): void {
    for (const conn of this.deps.libp2p.getConnections()) {
      if (conn.direction !== 'outbound' || conn.status !== 'open' || !this.verified.has(conn.id)) continue;
      this.exchange(conn).catch((err: unknown) =>
        this.deps.log.debug({ peer: conn.remotePeer.toString(), err: errCode(err) }, 'status refresh failed'),
      );
    }
  }
}
