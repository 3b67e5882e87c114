import { ConsensusErrorCode } from '../consensus/engine/errors.js';
import { decodeCommit } from '../consensus/engine/messages.js';
import type { CommitCertificate } from '../consensus/engine/types.js';
import { BlockErrorCode } from '../src/chain/block.js';
import { isCoded, MedchainError } from '../src/errors.js';
import { P2pError, P2pErrorCode } from './errors.js';
import type { P2pLogger } from './logger.js';
import type { ReqResp } from './reqresp.js';
import { defaultSyncOptions, SyncErrorCode, type SyncedBlock, type SyncOptions, syncRange } from './sync.js';
import { SyncReason } from './validation.js';

export interface SyncManagerDeps {
  rr: Pick<ReqResp, 'request'>;
  peerHeights(): Map<string, number>;
  headHeight(): number;
  /**
   * Hands a synced block to consensus (ConsensusDriver.synced): it checks the
   * body against the header and the certificate's hash, the certificate's
   * signatures against the set it tracks, and commits (re-executing, so roots
   * are checked). Resolves once durable; rejects with a coded error.
   */
  commit(height: number, block: Uint8Array, cert: CommitCertificate): Promise<void>;
  /** Charges the peer for a bad response; the amount follows from the reason (PeerScorer.onRefused). */
  penalise(peer: string, reason: SyncReason): void;
  log: P2pLogger;
  /** The node's shutdown signal: no new sync starts and a running one stops between blocks. */
  signal?: AbortSignal;
}

/** Refusals by consensus that prove the response was bad (the peer is penalised and another one asked), by reason. */
const PEER_FAULTS = new Map<string, SyncReason>([
  ...Object.values(BlockErrorCode).map((c): [string, SyncReason] => [c, SyncReason.BAD_BLOCK]),
  [ConsensusErrorCode.SYNCED_BLOCK_MISMATCH, SyncReason.BAD_BLOCK],
  [ConsensusErrorCode.SYNCED_BLOCK_REFUSED, SyncReason.BAD_CERT],
]);

/**
 * Catches up from peers that are ahead: one sync loop at a time, from the
 * highest peer not tried yet. A bad response (undecodable, a certificate for
 * another height, a body that does not match the certified header, a
 * certificate that does not hold) penalises the peer, and the rest of the
 * range is fetched from another one. Progress (height, target, blocks/s) is logged.
 */
export class SyncManager {
  private running: Promise<void> | undefined;
  private closed = false;
  private progress = { started: 0, from: 0, target: 0, logged: 0 };

  constructor(
    private readonly d: SyncManagerDeps,
    private readonly opts: SyncOptions = defaultSyncOptions,
  ) {}

  private get stopped(): boolean {
    return this.closed || this.d.signal?.aborted === true;
  }

  get syncing(): boolean {
    return this.running !== undefined;
  }

  /** Starts a sync if a peer is ahead of us (idempotent while one runs). */
  trigger(): void {
    if (this.stopped || this.running !== undefined) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => {});
  }

  private async loop(): Promise<void> {
    const tried = new Set<string>();
    while (!this.stopped) {
      const head = this.d.headHeight();
      let best: [string, number] | undefined;
      for (const [peer, h] of this.d.peerHeights())
        if (h > head && !tried.has(peer) && (!best || h > best[1])) best = [peer, h];
      if (best === undefined) return;
      const [peer, target] = best;
      const started = performance.now();
      this.progress = { started, from: head, target, logged: started };
      this.d.log.info({ height: head, target, peer }, 'sync started');
      try {
        await syncRange(this.d.rr, peer, head + 1, target, (b) => this.apply(b), this.opts);
      } catch (err) {
        if (this.stopped) return;
        tried.add(peer);
        const code = isCoded(err) ? err.code : String(err);
        if (code === SyncErrorCode.BAD_RESPONSE) this.d.penalise(peer, reasonOf(err));
        this.d.log.warn({ peer, err: code, ...(isCoded(err) ? err.meta : {}) }, 'sync from peer failed');
        continue;
      }
      const done = this.d.headHeight() - head;
      this.logProgress('sync finished');
      if (done === 0) tried.add(peer);
    }
  }

  /** One synced block, cheap checks first; consensus does the rest (see `commit`). */
  private async apply(b: SyncedBlock): Promise<void> {
    // Shutting down: end this range here rather than fetch and commit the rest of it.
    if (this.stopped) throw new P2pError(P2pErrorCode.CLOSED, { what: 'sync' });
    if (b.height !== this.d.headHeight() + 1) return; // committed meanwhile by consensus
    let cert: CommitCertificate;
    try {
      // [REJECT] the certificate is a canonical, bounded encoding.
      cert = decodeCommit(b.cert);
    } catch (err) {
      throw bad(b.height, SyncReason.CERT_MALFORMED, err);
    }
    // [REJECT] it certifies the height it was sent for.
    if (cert.height !== b.height) throw bad(b.height, SyncReason.CERT_WRONG_HEIGHT);
    try {
      await this.d.commit(b.height, b.block, cert);
    } catch (err) {
      // [REJECT] body vs header, header hash vs certificate, certificate signatures (checked in that order).
      const reason = isCoded(err) ? PEER_FAULTS.get(err.code) : undefined;
      if (reason !== undefined) throw bad(b.height, reason, err);
      throw err;
    }
    if (performance.now() - this.progress.logged > 2000) this.logProgress('sync progress');
  }

  private logProgress(msg: string): void {
    const now = performance.now();
    const height = this.d.headHeight();
    const blocksPerSec = Math.round(((height - this.progress.from) * 1000) / Math.max(1, now - this.progress.started));
    this.progress.logged = now;
    this.d.log.info({ height, target: this.progress.target, blocksPerSec }, msg);
  }
}

function bad(height: number, reason: SyncReason, cause?: unknown): MedchainError<string> {
  const detail = isCoded(cause) ? { detail: cause.code } : {};
  return new MedchainError(SyncErrorCode.BAD_RESPONSE, { height, reason, ...detail });
}

const REASONS = new Set<string>(Object.values(SyncReason));

/** The coded reason of a BAD_RESPONSE (every one carries it; MALFORMED if not). */
function reasonOf(err: unknown): SyncReason {
  const r = isCoded(err) ? err.meta.reason : undefined;
  return typeof r === 'string' && REASONS.has(r) ? (r as SyncReason) : SyncReason.MALFORMED;
}
