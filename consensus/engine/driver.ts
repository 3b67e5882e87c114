import { equal } from '../../src/codec/bytes.js';
import type { ConsensusWal } from '../wal/wal.js';
import type { Action, SyncHint } from './actions.js';
import type { ConsensusEngine } from './engine.js';
import type { CommitCertificate, Proposal, Vote } from './types.js';
import type { ValidatorSet } from './validator-set.js';

/** What consensus needs from the network; p2p/ implements it (consensus never imports p2p). */
export interface Transport {
  broadcastProposal(p: Proposal): void;
  broadcastVote(v: Vote): void;
  /** Fetch blocks with certificates from `fromHeight` on; deliver them with driver.synced(). */
  requestSync(fromHeight: number, hint: SyncHint): void;
}

export interface CommitResult {
  nextValidatorSet: ValidatorSet;
  /** Block time of the committed block; the next block must be later. */
  blockTime?: number;
}

/** What consensus needs from block execution (state/ and the block builder implement it). */
export interface Executor {
  /** Build a block from the mempool on top of the last committed one. */
  buildBlock(height: number, round: number, time: number): Promise<{ block: Uint8Array; hash: Uint8Array }>;
  /** Execute a proposed block; valid only if every check and root matches. */
  validateBlock(height: number, block: Uint8Array): Promise<{ valid: boolean; hash: Uint8Array }>;
  /** Apply the final block atomically (block, certificate, state, indexes). */
  commit(height: number, block: Uint8Array, cert: CommitCertificate): Promise<CommitResult>;
  /** Cheap hash of an encoded block (the header hash), to match synced blocks with certificates. */
  hashBlock(block: Uint8Array): Uint8Array;
  /** Whether the mempool still holds transactions after a commit. */
  hasPendingTxs?(): boolean;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface DriverDeps {
  engine: ConsensusEngine;
  transport: Transport;
  executor: Executor;
  clock: Clock;
  wal: ConsensusWal;
  onEvidence?(a: Extract<Action, { type: 'evidence' | 'proposalEvidence' }>): void;
  onCommit?(height: number, cert: CommitCertificate): void;
  onError?(err: unknown): void;
}

/**
 * Runs the pure engine against the world. Engine calls happen synchronously
 * in event order; their actions run strictly in order on one promise chain,
 * so a broadcast of a signed message always waits for its persistSignState
 * (a synced WAL append). Executor work runs off the chain and comes back as
 * new events.
 */
export class ConsensusDriver {
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<unknown>();
  private closed = false;

  constructor(private readonly d: DriverDeps) {}

  /** Loads the WAL and starts at `height` (the block store tip + 1). */
  async start(
    height: number,
    set: ValidatorSet,
    lastCommitTime?: number,
    lastCommit?: CommitCertificate,
  ): Promise<void> {
    const wal = await this.d.wal.load();
    this.feed(this.d.engine.start(height, set, lastCommitTime, { wal, ...(lastCommit ? { lastCommit } : {}) }));
    if (this.d.executor.hasPendingTxs?.()) this.txsAvailable();
  }

  /** A proposal whose signature the caller verified. */
  proposal(p: Proposal): void {
    if (!this.closed) this.feed(this.d.engine.proposal(p));
  }

  /** A vote whose signature the caller verified. */
  vote(v: Vote): void {
    if (!this.closed) this.feed(this.d.engine.vote(v));
  }

  txsAvailable(): void {
    if (!this.closed) this.feed(this.d.engine.txsAvailable());
  }

  /** A block from sync: dropped unless it hashes to the certificate's block hash. */
  synced(height: number, block: Uint8Array, cert: CommitCertificate): void {
    if (this.closed || !equal(this.d.executor.hashBlock(block), cert.blockHash)) return;
    this.feed(this.d.engine.synced(height, block, cert));
  }

  /** Resolves once every action issued so far has run. */
  idle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) this.d.clock.clearTimeout(t);
    this.timers.clear();
    await this.chain;
  }

  private feed(actions: Action[]): void {
    if (actions.length === 0) return;
    this.chain = this.chain.then(async () => {
      for (const a of actions) {
        if (this.closed && a.type !== 'persistSignState') return;
        try {
          await this.exec(a);
        } catch (err) {
          this.d.onError?.(err);
          // A signature that may not be durable must never be released:
          // stop (fail-stop) rather than run on with state we cannot keep.
          if (a.type === 'persistSignState') {
            this.closed = true;
            return;
          }
        }
      }
    });
  }

  private async exec(a: Action): Promise<void> {
    const { engine, transport, executor, clock, wal } = this.d;
    switch (a.type) {
      case 'persistSignState':
        return wal.append(a.entry, true);
      case 'walAppend':
        return wal.append(a.entry, false);
      case 'walNewHeight':
        return wal.newHeight();
      case 'broadcastProposal':
        return transport.broadcastProposal(a.proposal);
      case 'broadcastVote':
        return transport.broadcastVote(a.vote);
      case 'requestSync':
        return transport.requestSync(a.fromHeight, a.hint);
      case 'evidence':
      case 'proposalEvidence':
        return this.d.onEvidence?.(a);
      case 'scheduleTimeout': {
        const t = clock.setTimeout(() => {
          this.timers.delete(t);
          if (!this.closed) this.feed(engine.timeout(a.kind, a.height, a.round));
        }, a.ms);
        this.timers.add(t);
        return;
      }
      case 'buildBlock':
        this.later(
          executor.buildBlock(a.height, a.round, Math.max(clock.now(), a.minTime)),
          (r) => engine.blockBuilt(a.height, a.round, r.block, r.hash),
          () => [],
        );
        return;
      case 'validateProposal':
        this.later(
          executor.validateBlock(a.height, a.block),
          (r) => engine.proposalValidated(a.height, a.round, a.blockHash, r.valid && equal(r.hash, a.blockHash)),
          () => engine.proposalValidated(a.height, a.round, a.blockHash, false),
        );
        return;
      case 'commit':
        this.later(
          executor.commit(a.height, a.block, a.cert),
          (r) => {
            this.d.onCommit?.(a.height, a.cert);
            const out = engine.committed(a.height, r.nextValidatorSet, r.blockTime);
            return executor.hasPendingTxs?.() ? [...out, ...engine.txsAvailable()] : out;
          },
          () => [],
        );
        return;
    }
  }

  /** Runs executor work off the action chain; its result re-enters as an engine event. */
  private later<T>(work: Promise<T>, ok: (r: T) => Action[], fail: () => Action[]): void {
    work.then(
      (r) => {
        if (!this.closed) this.feed(ok(r));
      },
      (err: unknown) => {
        this.d.onError?.(err);
        if (!this.closed) this.feed(fail());
      },
    );
  }
}
