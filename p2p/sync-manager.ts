import { verifyCommit } from '../consensus/engine/certificate.js';
import { decodeCommit } from '../consensus/engine/messages.js';
import type { CommitCertificate, Verify } from '../consensus/engine/types.js';
import type { ValidatorSet } from '../consensus/engine/validator-set.js';
import { equal } from '../src/codec/bytes.js';
import { MedchainError } from '../src/errors.js';
import type { P2pLogger } from './logger.js';
import type { ReqResp } from './reqresp.js';
import { defaultSyncOptions, SyncErrorCode, type SyncedBlock, type SyncOptions, syncRange } from './sync.js';

export interface SyncManagerDeps {
  rr: Pick<ReqResp, 'request'>;
  peerHeights(): Map<string, number>;
  headHeight(): number;
  /** The set that must sign block head+1: certificates are verified against what we track. */
  validatorSet(): ValidatorSet;
  verify: Verify;
  hashBlock(block: Uint8Array): Uint8Array;
  /** Commits a verified block (re-executing it: state roots are checked) and resolves once durable. */
  commit(height: number, block: Uint8Array, cert: CommitCertificate): Promise<void>;
  penalise(peer: string): void;
  log: P2pLogger;
}

/**
 * Catches up from peers that are ahead: one sync loop at a time, from the
 * highest peer, verifying every certificate against the validator set this
 * node tracks before committing. Progress (height, target, blocks/s) is logged.
 */
export class SyncManager {
  private running: Promise<void> | undefined;
  private closed = false;
  private progress = { started: 0, from: 0, target: 0, logged: 0 };

  constructor(
    private readonly d: SyncManagerDeps,
    private readonly opts: SyncOptions = defaultSyncOptions,
  ) {}

  get syncing(): boolean {
    return this.running !== undefined;
  }

  /** Starts a sync if a peer is ahead of us (idempotent while one runs). */
  trigger(): void {
    if (this.closed || this.running !== undefined) return;
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
    while (!this.closed) {
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
        tried.add(peer);
        if (err instanceof MedchainError && err.code === SyncErrorCode.BAD_RESPONSE) this.d.penalise(peer);
        this.d.log.warn({ peer, err: err instanceof MedchainError ? err.code : String(err) }, 'sync from peer failed');
        continue;
      }
      const done = this.d.headHeight() - head;
      this.logProgress('sync finished');
      if (done === 0) tried.add(peer);
    }
  }

  private async apply(b: SyncedBlock): Promise<void> {
    if (b.height !== this.d.headHeight() + 1) return; // committed meanwhile by consensus
    const cert = decodeCommit(b.cert);
    if (cert.height !== b.height || !equal(this.d.hashBlock(b.block), cert.blockHash))
      throw new MedchainError(SyncErrorCode.BAD_RESPONSE, { height: b.height });
    try {
      verifyCommit(cert, this.d.validatorSet(), this.d.verify, b.height);
    } catch {
      throw new MedchainError(SyncErrorCode.BAD_RESPONSE, { height: b.height, reason: 'certificate' });
    }
    await this.d.commit(b.height, b.block, cert);
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
