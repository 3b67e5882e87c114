import type { ConnectionGater, PeerId } from '@libp2p/interface';

export interface PeerGaterOptions {
  /** Admit any peer that is not banned (read-only full nodes may join). */
  open: boolean;
  allowedPeers: Iterable<string>;
}

export interface PeerGaterDeps {
  now(): number;
}

/** Above this many entries, expired bans are swept on the next `ban`, so the map stays bounded by live bans. */
const BAN_SWEEP_SIZE = 1024;

/**
 * Permissioning at the libp2p connection gater: a refused peer is cut off
 * right after the Noise handshake proves its id, before the muxer, so it never
 * gets a connection, a stream or a gossip message in. Outbound dials to
 * refused peers are not even attempted.
 */
export class PeerGater implements ConnectionGater {
  private allowed: Set<string>;
  private readonly open: boolean;
  /** peer id → ban expiry (ms since epoch). */
  private readonly bans = new Map<string, number>();

  constructor(
    opts: PeerGaterOptions,
    private readonly deps: PeerGaterDeps,
  ) {
    this.open = opts.open;
    this.allowed = new Set(opts.allowedPeers);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Replaces the allowlist, e.g. when the validator set changes at a height. */
  setAllowed(peerIds: Iterable<string>): void {
    this.allowed = new Set(peerIds);
  }

  allowedPeers(): string[] {
    return [...this.allowed];
  }

  ban(peerId: string, ms: number): void {
    const now = this.deps.now();
    const until = now + ms;
    const prev = this.bans.get(peerId) ?? 0;
    // A shorter ban never shortens a longer one already in force.
    if (until > prev) this.bans.set(peerId, until);
    if (this.bans.size > BAN_SWEEP_SIZE) for (const [id, t] of this.bans) if (t <= now) this.bans.delete(id);
  }

  unban(peerId: string): void {
    this.bans.delete(peerId);
  }

  /** Remaining ban in ms, 0 when not banned. */
  banRemaining(peerId: string): number {
    const until = this.bans.get(peerId);
    if (until === undefined) return 0;
    const left = until - this.deps.now();
    if (left <= 0) {
      this.bans.delete(peerId);
      return 0;
    }
    return left;
  }

  isAdmitted(peerId: string): boolean {
    if (this.banRemaining(peerId) > 0) return false;
    return this.open || this.allowed.has(peerId);
  }

  // ---- ConnectionGater: `true` means deny ----

  denyDialPeer = (peerId: PeerId): boolean => !this.isAdmitted(peerId.toString());
  denyInboundEncryptedConnection = (peerId: PeerId): boolean => !this.isAdmitted(peerId.toString());
  denyOutboundEncryptedConnection = (peerId: PeerId): boolean => !this.isAdmitted(peerId.toString());
  // Re-checked after the upgrade: a ban may have landed during the handshake.
  denyInboundUpgradedConnection = (peerId: PeerId): boolean => !this.isAdmitted(peerId.toString());
  denyOutboundUpgradedConnection = (peerId: PeerId): boolean => !this.isAdmitted(peerId.toString());
}
