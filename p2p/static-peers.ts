import { CODE_P2P, type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { P2pError, P2pErrorCode } from './errors.js';
import { errCode } from './gossip.js';
import type { P2pLogger } from './logger.js';

export interface StaticPeersOptions {
  peers: string[];
  dialTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

export interface StaticPeersDeps {
  dial(addr: Multiaddr, signal: AbortSignal): Promise<unknown>;
  isConnected(peerId: string): boolean;
  /** Remaining ban (gater) in ms; banned peers are not dialled until it ends. */
  banRemaining(peerId: string): number;
  log: P2pLogger;
}

/** The peer id a configured address names; static peers must name one, or the allowlist means nothing. */
export function peerIdOf(addr: string): string {
  const p2p = multiaddr(addr)
    .getComponents()
    .find((c) => c.code === CODE_P2P);
  if (p2p?.value === undefined)
    throw new P2pError(P2pErrorCode.PROTOCOL_VIOLATION, { reason: 'no /p2p/ in peer addr' });
  return p2p.value;
}

/**
 * Keeps configured peers connected: one loop per peer (the list is config,
 * so the number of loops is bounded) dials, waits for a disconnect, and
 * redials with exponential backoff and jitter capped at `reconnectMaxMs`.
 * Loops end on `stop()`.
 */
export class StaticPeers {
  private readonly ctl = new AbortController();
  private readonly wakers = new Map<string, () => void>();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly opts: StaticPeersOptions,
    private readonly deps: StaticPeersDeps,
  ) {}

  start(): void {
    this.loops = this.opts.peers.map((addr) => this.keep(multiaddr(addr), peerIdOf(addr)));
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    await Promise.all(this.loops);
  }

  /** Called on peer:disconnect so the loop redials without waiting out its idle check. */
  onDisconnect(peerId: string): void {
    this.wakers.get(peerId)?.();
  }

  private async keep(addr: Multiaddr, peerId: string): Promise<void> {
    const signal = this.ctl.signal;
    let failures = 0;
    while (!signal.aborted) {
      const banned = this.deps.banRemaining(peerId);
      if (banned > 0) {
        await this.pause(peerId, Math.min(banned, this.opts.reconnectMaxMs));
        continue;
      }
      if (this.deps.isConnected(peerId)) {
        failures = 0;
        await this.pause(peerId, this.opts.reconnectMaxMs);
        continue;
      }
      try {
        await this.deps.dial(addr, AbortSignal.any([signal, AbortSignal.timeout(this.opts.dialTimeoutMs)]));
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const cap = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectBaseMs * 2 ** Math.min(failures - 1, 20));
        this.deps.log.debug({ peer: peerId, failures, err: errCode(err) }, 'static peer dial failed');
        await this.pause(peerId, cap * (0.5 + Math.random() / 2));
      }
    }
  }

  /** Sleeps up to `ms`, waking early on stop or on this peer's disconnect. */
  private pause(peerId: string, ms: number): Promise<void> {
    const signal = this.ctl.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wakers.get(peerId) === done) this.wakers.delete(peerId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wakers.set(peerId, done);
    });
  }
}
