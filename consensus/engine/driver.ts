import { equal } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import type { Action, SyncHint } from './actions.js';
import type { ConsensusEngine } from './engine.js';
import { ConsensusError, ConsensusErrorCode } from './errors.js';
import type { SignState } from './sign-guard.js';
import { type CommitCertificate, type Proposal, type Vote, VoteType } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import type { WalEntry } from './wal-entries.js';

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
  /** Execute a proposed block; valid only if every check and root matches. `time`: the block's time. */
  validateBlock(height: number, block: Uint8Array): Promise<{ valid: boolean; hash: Uint8Array; time?: number }>;
  /** Apply the final block atomically (block, certificate, state, indexes). */
  commit(height: number, block: Uint8Array, cert: CommitCertificate): Promise<CommitResult>;
  /**
   * The header hash of an encoded block whose body was checked against its
   * header (size, tx count, every tx well-formed, tx root), without executing
   * it; throws a coded error otherwise. A certificate or a proposal signs only
   * the hash, so this is what binds a received body to it.
   */
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

/** The log the driver persists to; consensus/wal implements it (the engine never imports wal/). */
export interface DriverWal {
  load(): Promise<WalEntry[]>;
  /** With `sync`, resolves only once the entry is durable (own signed messages). */
  append(entry: WalEntry, sync: boolean): Promise<void>;
  newHeight(): Promise<void>;
  /** Where signing may resume at `height` after load(): set when a damaged tail may have lost an own record. */
  signFloor(height: number): SignState | undefined;
}

/** The system clock shifted by `offsetMs` (a node's injected clock skew, for fault tests). */
export const offsetClock = (offsetMs: number): Clock =>
  offsetMs === 0 ? systemClock : { ...systemClock, now: () => Date.now() + offsetMs };

export interface DriverDeps {
  engine: ConsensusEngine;
  transport: Transport;
  executor: Executor;
  clock: Clock;
  wal: DriverWal;
  onEvidence?(a: Extract<Action, { type: 'evidence' | 'proposalEvidence' }>): void;
  onCommit?(height: number, cert: CommitCertificate): void;
  onError?(err: unknown): void;
  /**
   * Where a height spends its time: ms from the previous commit (or start) to the first time this
   * node had the height's proposal, sent its prevote, sent its precommit, saw the decision, and
   * finished the commit (metrics; the clock never decides anything here).
   */
  onPhase?(phase: HeightPhase, ms: number): void;
}

export type HeightPhase = 'proposal' | 'prevote' | 'precommit' | 'decided' | 'committed';

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
  /** Callers of synced() waiting for their height's commit to land or fail. */
  private waiters: Array<{ height: number; resolve(): void; reject(err: unknown): void }> = [];
  /** The height being timed for onPhase, when it started, and the phases already seen. */
  private timed = { height: 0, start: 0, seen: new Set<HeightPhase>() };

  constructor(private readonly d: DriverDeps) {}

  /** Loads the WAL and starts at `height` (the block store tip + 1). */
  async start(
    height: number,
    set: ValidatorSet,
    lastCommitTime?: number,
    lastCommit?: CommitCertificate,
  ): Promise<void> {
    this.timed = { height, start: this.d.clock.now(), seen: new Set() };
    const wal = await this.d.wal.load();
    const signState = this.d.wal.signFloor(height);
    this.feed(
      this.d.engine.start(height, set, lastCommitTime, {
        wal,
        ...(lastCommit ? { lastCommit } : {}),
        ...(signState ? { signState } : {}),
      }),
    );
    if (this.d.executor.hasPendingTxs?.()) this.txsAvailable();
  }

  /** A proposal whose signature and body (Executor.hashBlock) the caller verified. */
  proposal(p: Proposal): void {
    if (!this.closed) this.feed(this.d.engine.proposal(p, this.d.clock.now()));
  }

  /** A vote whose signature the caller verified. */
  vote(v: Vote): void {
    if (!this.closed) this.feed(this.d.engine.vote(v));
  }

  txsAvailable(): void {
    if (!this.closed) this.feed(this.d.engine.txsAvailable());
  }

  /**
   * A block from sync. Resolves once `height` is durably committed (by this
   * block or by consensus meanwhile); rejects with a coded error if the block
   * is refused (its body does not match the certificate's hash, the engine
   * refuses the certificate) or its commit fails, so the caller can fetch it
   * elsewhere. A refused block changes nothing.
   */
  synced(height: number, block: Uint8Array, cert: CommitCertificate): Promise<void> {
    const { engine, executor } = this.d;
    if (this.closed) return Promise.reject(new ConsensusError(ConsensusErrorCode.CLOSED));
    if (height < engine.height) return Promise.resolve();
    if (height > engine.height)
      return Promise.reject(new ConsensusError(ConsensusErrorCode.SYNCED_NOT_NEXT, { height, next: engine.height }));
    let hash: Uint8Array;
    try {
      hash = executor.hashBlock(block);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!equal(hash, cert.blockHash))
      return Promise.reject(new ConsensusError(ConsensusErrorCode.SYNCED_BLOCK_MISMATCH, { height }));
    const actions = engine.synced(height, block, cert);
    const deciding = actions.some((a) => a.type === 'commit');
    // Not deciding and not decided already (by consensus, commit pending): the certificate does not hold.
    if (!deciding && engine.step !== 'decided')
      return Promise.reject(new ConsensusError(ConsensusErrorCode.SYNCED_BLOCK_REFUSED, { height }));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ height, resolve, reject }));
    this.feed(actions);
    return done;
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
    this.settleWaiters(Number.MAX_SAFE_INTEGER, new ConsensusError(ConsensusErrorCode.CLOSED));
  }

  /** Settles the waiters up to `height`: resolved, or rejected with `err`. */
  private settleWaiters(height: number, err?: unknown): void {
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.height > height) keep.push(w);
      else if (err === undefined) w.resolve();
      else w.reject(err);
    }
    this.waiters = keep;
  }

  /** First time `phase` happens at the timed height; a commit starts timing the next one. */
  private phase(height: number, phase: HeightPhase): void {
    const t = this.timed;
    if (this.d.onPhase === undefined || height !== t.height || t.seen.has(phase)) return;
    t.seen.add(phase);
    const now = this.d.clock.now();
    this.d.onPhase(phase, Math.max(0, now - t.start));
    if (phase === 'committed') this.timed = { height: height + 1, start: now, seen: new Set() };
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
        this.phase(a.proposal.height, 'proposal');
        return transport.broadcastProposal(a.proposal);
      case 'broadcastVote':
        this.phase(a.vote.height, a.vote.type === VoteType.PREVOTE ? 'prevote' : 'precommit');
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
        this.phase(a.height, 'proposal');
        this.later(
          executor.validateBlock(a.height, a.block),
          (r) =>
            engine.proposalValidated(a.height, a.round, a.blockHash, r.valid && equal(r.hash, a.blockHash), r.time),
          () => engine.proposalValidated(a.height, a.round, a.blockHash, false),
        );
        return;
      case 'commit':
        this.phase(a.height, 'decided');
        this.later(
          executor.commit(a.height, a.block, a.cert),
          (r) => {
            this.phase(a.height, 'committed');
            this.d.onCommit?.(a.height, a.cert);
            this.settleWaiters(a.height);
            const out = engine.committed(a.height, r.nextValidatorSet, r.blockTime);
            return executor.hasPendingTxs?.() ? [...out, ...engine.txsAvailable()] : out;
          },
          (err) => {
            const reason = isCoded(err) ? err.code : 'unknown';
            this.settleWaiters(
              a.height,
              new ConsensusError(ConsensusErrorCode.COMMIT_FAILED, { height: a.height, reason }),
            );
            return engine.commitFailed(a.height, a.cert.blockHash);
          },
        );
        return;
    }
  }

  /** Runs executor work off the action chain; its result re-enters as an engine event. */
  private later<T>(work: Promise<T>, ok: (r: T) => Action[], fail: (err: unknown) => Action[]): void {
    work.then(
      (r) => {
        if (!this.closed) this.feed(ok(r));
      },
      (err: unknown) => {
        this.d.onError?.(err);
        if (!this.closed) this.feed(fail(err));
      },
    );
  }
}
