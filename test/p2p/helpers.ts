import '../../src/polyfill.js';
import { createHost, type HostOptions, type P2pHost } from '../../p2p/host.js';
import type { ChainStatus } from '../../p2p/status.js';

export const CHAIN = 'medchain-test';
export const GENESIS = new Uint8Array(32).fill(7);

export function statusOf(height = 0, genesisHash = GENESIS, chainId = CHAIN): () => ChainStatus {
  return () => ({ chainId, genesisHash, height });
}

/** A loopback host with a short heartbeat, so meshes form quickly in tests. */
export function testHost(
  opts: Partial<HostOptions> = {},
  status: () => ChainStatus = statusOf(),
  hosts?: P2pHost[],
): Promise<P2pHost> {
  return createHost({ chainId: CHAIN, open: true, gossipHeartbeatMs: 100, ...opts }, { status }).then((h) => {
    hosts?.push(h);
    return h;
  });
}

/** Polls `cond` until it holds; fails after `ms` (a guard against hangs, not a timing assertion). */
export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One after another: closing both ends of a connection at the same instant costs libp2p a 500 ms close timeout. */
export async function closeAll(hosts: P2pHost[]): Promise<void> {
  for (const h of hosts.splice(0).reverse()) await h.close();
}

export const addrOf = (h: P2pHost): string => h.multiaddrs()[0] as string;

export async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/**
 * Asserts that `target` refuses `dialer`: the target never opens a connection
 * to it, and whatever the dialer thought it had is closed. (The dialer's own
 * dial may even resolve: with optimistic muxer negotiation it only learns of
 * the refusal when the target hangs up after the Noise handshake.)
 */
export async function assertRefused(dialer: P2pHost, target: P2pHost): Promise<void> {
  let opened = 0;
  const onOpen = (e: CustomEvent<{ remotePeer: { toString(): string } }>): void => {
    if (e.detail.remotePeer.toString() === dialer.peerId) opened++;
  };
  target.libp2p.addEventListener('connection:open', onOpen);
  try {
    await dialer.dial(addrOf(target)).catch(() => {});
    await waitFor(() => !dialer.connectedPeers().includes(target.peerId), 'the dialer to lose the connection');
    if (opened !== 0 || target.connectedPeers().includes(dialer.peerId)) throw new Error('target admitted the dialer');
  } finally {
    target.libp2p.removeEventListener('connection:open', onOpen);
  }
}
