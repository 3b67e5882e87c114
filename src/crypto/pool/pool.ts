import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CryptoError, CryptoErrorCode } from '../ed25519.js';
import { bitAt, isPackable, packJob, type VerifyItem } from './job.js';
import type { JobReply, JobRequest } from './worker.js';

/**
 * Ed25519 verification on worker_threads, after lodestar's chain/bls/multithread:
 * `batchable` requests are buffered by count and time into one job, `verifyMany`
 * splits large inputs across all workers. Two classes of work: `priority` jobs
 * (consensus: votes, proposals' signatures) go ahead of the rest (tx admission).
 * A single priority `verify` (a vote: a few per validator and round) goes first;
 * while priority `verifyMany` work and other work both wait, they share the
 * workers `priorityWeight` to 1 in signatures, so that neither starves.
 * `backlog()` and `waitMs()` are what admission bounds itself by.
 * Every worker runs the same `verify` from ed25519.ts, so the rule is the one
 * of the main thread. Results are per item (see job.ts): no batch retry.
 */
export interface VerifierPoolOptions {
  /** Worker threads. */
  workers: number;
  /** A buffered batch is sent once it holds this many `batchable` requests... */
  maxBatch: number;
  /** ...or once the oldest has waited this long. */
  maxWaitMs: number;
  /** Jobs queued inside one worker, so it never idles between messages. */
  maxJobsPerWorker: number;
  /** Largest job `verifyMany` sends (bounds the latency of queue-jumping `priority` jobs). */
  maxJobItems: number;
  /**
   * Batch by backlog instead of by time: buffered `batchable` requests are sent as soon as a
   * worker is idle, so they wait only while every worker is busy (a request/response server's
   * natural batching). maxBatch still caps a batch; maxWaitMs still bounds the wait.
   */
  flushWhenIdle: boolean;
  /** While both wait, priority verifyMany signatures sent per other signature sent (no starvation). */
  priorityWeight: number;
}

export const defaultVerifierPoolOptions: VerifierPoolOptions = {
  workers: availableParallelism(),
  maxBatch: 128,
  maxWaitMs: 20,
  maxJobsPerWorker: 2,
  maxJobItems: 1024,
  flushWhenIdle: false,
  priorityWeight: 4,
};

export interface VerifyOptions {
  /** May wait up to maxWaitMs to share a job with other requests. */
  batchable?: boolean;
  /** Sent ahead of queued non-priority jobs (bypasses the batch buffer). */
  priority?: boolean;
}

interface Job {
  buf: ArrayBuffer;
  items: number;
  /** performance.now() when queued (waitMs). */
  at?: number;
  done(bits: Uint8Array): void;
  fail(err: Error): void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Job>;
  /** Replied at least once: a worker that dies before that is not respawned (broken script). */
  healthy: boolean;
  down: boolean;
}

interface Pending {
  item: VerifyItem;
  resolve(ok: boolean): void;
  reject(err: Error): void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
// verifyMany aims for two jobs per worker (the second waits inside the worker) but no tiny jobs.
const MIN_JOB_ITEMS = 32;

export class VerifierPool {
  private readonly opts: VerifierPoolOptions;
  private readonly slots: Slot[] = [];
  /** Single priority `verify` calls (votes): first of all, newest first (bounded by the validator set). */
  private readonly first: Job[] = [];
  /** Priority `verifyMany` jobs (a proposal's signatures). */
  private readonly urgent: Job[] = [];
  private readonly queue: Job[] = [];
  /** Signatures in the three queues. */
  private queuedItems = 0;
  /** Signatures sent from `urgent` and from `queue` since both began to wait (the weighted share). */
  private readonly share = { urgent: 0, queue: 0 };
  private pending: Pending[] = [];
  /** performance.now() when the batch buffer's oldest request arrived. */
  private pendingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closed = false;
  /** Jobs and signatures sent to workers since start (metrics: items / jobs = batch size). */
  private readonly sent = { jobs: 0, items: 0 };

  constructor(opts: Partial<VerifierPoolOptions> = {}) {
    this.opts = { ...defaultVerifierPoolOptions, ...opts };
    const o = this.opts;
    if (
      !(
        o.workers >= 1 &&
        o.maxBatch >= 1 &&
        o.maxWaitMs >= 0 &&
        o.maxJobsPerWorker >= 1 &&
        o.maxJobItems >= 1 &&
        o.priorityWeight > 0
      )
    )
      throw new RangeError('invalid VerifierPool options');
    for (let i = 0; i < o.workers; i++) this.slots.push(this.spawn());
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Requests waiting (buffered or queued for a worker), signatures waiting, and cumulative jobs/items sent. */
  stats(): { queued: number; backlog: number; waitMs: number; jobs: number; items: number } {
    return {
      queued: this.pending.length + this.first.length + this.urgent.length + this.queue.length,
      backlog: this.backlog(),
      waitMs: this.waitMs(),
      ...this.sent,
    };
  }

  /** Signatures waiting for a worker, of either class (in flight excluded: at most workers × maxJobsPerWorker jobs). */
  backlog(): number {
    return this.pending.length + this.queuedItems;
  }

  /**
   * How long (ms) the oldest request not yet sent to a worker has waited; 0 when none waits. The
   * backlog in time rather than count: what a new request will wait at least, however fast the
   * workers are at the moment (on a shared machine they slow down tenfold).
   */
  waitMs(): number {
    let oldest = this.pending.length > 0 ? this.pendingSince : Number.POSITIVE_INFINITY;
    const head = this.queue[0]?.at;
    if (head !== undefined && head < oldest) oldest = head;
    for (const q of [this.first, this.urgent.slice(0, 1)])
      for (const j of q) if (j.at !== undefined && j.at < oldest) oldest = j.at;
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, performance.now() - oldest);
  }

  verify(msg: Uint8Array, sig: Uint8Array, pk: Uint8Array, opts: VerifyOptions = {}): Promise<boolean> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const item: VerifyItem = { msg, sig, pk };
    if (!isPackable(item)) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      if (opts.batchable === true && opts.priority !== true) {
        if (this.pending.length === 0) this.pendingSince = performance.now();
        this.pending.push({ item, resolve, reject });
        if (this.pending.length >= this.opts.maxBatch || this.idleNow()) this.flush();
        else this.timer ??= setTimeout(() => this.flush(), this.opts.maxWaitMs);
        return;
      }
      const buf = packJob([item], [0], 0, 1);
      const job: Job = { buf, items: 1, done: (bits) => resolve(bitAt(bits, 0)), fail: reject };
      this.enqueue(job, opts.priority === true ? 'front' : 'normal');
    });
  }

  /**
   * One result per item, in order; malformed items are false, never thrown. `priority`: its jobs go
   * after queued priority jobs but ahead of all others.
   */
  async verifyMany(items: readonly VerifyItem[], opts: { priority?: boolean } = {}): Promise<boolean[]> {
    const refused = this.refusal();
    if (refused !== undefined) throw refused;
    const out = new Array<boolean>(items.length).fill(false);
    const idx: number[] = [];
    for (let i = 0; i < items.length; i++) if (isPackable(items[i] as VerifyItem)) idx.push(i);
    if (idx.length === 0) return out;
    const per = Math.ceil(idx.length / (2 * this.slots.length));
    const chunk = Math.min(this.opts.maxJobItems, Math.max(MIN_JOB_ITEMS, per));
    const jobs: Promise<void>[] = [];
    for (let from = 0; from < idx.length; from += chunk) {
      const to = Math.min(idx.length, from + chunk);
      const buf = packJob(items, idx, from, to);
      jobs.push(
        new Promise<void>((resolve, reject) => {
          const done = (bits: Uint8Array): void => {
            for (let j = from; j < to; j++) out[idx[j] as number] = bitAt(bits, j - from);
            resolve();
          };
          this.enqueue({ buf, items: to - from, done, fail: reject }, opts.priority === true ? 'priority' : 'normal');
        }),
      );
    }
    await Promise.all(jobs);
    return out;
  }

  /** Rejects buffered, queued and in-flight requests with POOL_CLOSED, then terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const err = (): CryptoError => new CryptoError(CryptoErrorCode.POOL_CLOSED);
    for (const p of this.pending.splice(0)) p.reject(err());
    for (const job of this.takeQueued()) job.fail(err());
    for (const s of this.slots) {
      s.down = true;
      for (const job of s.inFlight.values()) job.fail(err());
      s.inFlight.clear();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private refusal(): CryptoError | undefined {
    if (this.closed) return new CryptoError(CryptoErrorCode.POOL_CLOSED);
    if (this.slots.length === 0) return new CryptoError(CryptoErrorCode.WORKER_FAILED, { reason: 'no workers' });
    return undefined;
  }

  /** flushWhenIdle and a worker has nothing to do. */
  private idleNow(): boolean {
    return (
      this.opts.flushWhenIdle &&
      this.queue.length === 0 &&
      this.urgent.length === 0 &&
      this.first.length === 0 &&
      this.slots.some((s) => s.inFlight.size === 0)
    );
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const items = batch.map((p) => p.item);
    const buf = packJob(
      items,
      items.map((_, i) => i),
      0,
      items.length,
    );
    const done = (bits: Uint8Array): void => {
      for (let i = 0; i < batch.length; i++) (batch[i] as Pending).resolve(bitAt(bits, i));
    };
    const fail = (e: Error): void => {
      for (const p of batch) p.reject(e);
    };
    this.enqueue({ buf, items: items.length, done, fail }, 'normal');
  }

  private enqueue(job: Job, where: 'front' | 'priority' | 'normal'): void {
    this.sent.jobs++;
    this.sent.items += job.items;
    this.queuedItems += job.items;
    job.at = performance.now();
    if (where === 'front') this.first.unshift(job);
    else if (where === 'priority') this.urgent.push(job);
    else this.queue.push(job);
    this.dispatch();
  }

  /** The next job to send: votes, then priority and other work in a priorityWeight : 1 share of signatures. */
  private next(): Job | undefined {
    let job = this.first.shift();
    if (job === undefined) {
      const sh = this.share;
      if (this.urgent.length === 0 || this.queue.length === 0) {
        sh.urgent = 0;
        sh.queue = 0;
        job = this.urgent.shift() ?? this.queue.shift();
      } else if (sh.urgent <= this.opts.priorityWeight * sh.queue) {
        job = this.urgent.shift() as Job;
        sh.urgent += job.items;
      } else {
        job = this.queue.shift() as Job;
        sh.queue += job.items;
      }
    }
    if (job !== undefined) this.queuedItems -= job.items;
    return job;
  }

  /** Empties the queues (close, or no worker left). */
  private takeQueued(): Job[] {
    this.queuedItems = 0;
    this.share.urgent = 0;
    this.share.queue = 0;
    return [...this.first.splice(0), ...this.urgent.splice(0), ...this.queue.splice(0)];
  }

  private dispatch(): void {
    while (this.first.length > 0 || this.urgent.length > 0 || this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.slots)
        if (
          s.inFlight.size < this.opts.maxJobsPerWorker &&
          (best === undefined || s.inFlight.size < best.inFlight.size)
        )
          best = s;
      if (best === undefined) return;
      const job = this.next() as Job;
      const id = this.nextId++;
      if (best.inFlight.size === 0) best.worker.ref();
      best.inFlight.set(id, job);
      const req: JobRequest = { id, buf: job.buf };
      best.worker.postMessage(req, [job.buf]);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_URL), inFlight: new Map(), healthy: false, down: false };
    slot.worker.unref(); // idle workers do not keep the process alive; ref'd while they hold jobs
    slot.worker.on('message', (reply: JobReply) => {
      const job = slot.inFlight.get(reply.id);
      if (job === undefined) return;
      slot.inFlight.delete(reply.id);
      slot.healthy = true;
      if (slot.inFlight.size === 0) slot.worker.unref();
      job.done(new Uint8Array(reply.bits));
      if (this.pending.length > 0 && this.idleNow()) this.flush();
      this.dispatch();
    });
    slot.worker.on('error', (e: Error) => this.onDown(slot, e.name));
    slot.worker.on('messageerror', () => this.onDown(slot, 'messageerror'));
    slot.worker.on('exit', (code: number) => this.onDown(slot, `exit ${code}`));
    return slot;
  }

  /** A dead worker fails its own jobs (never silently), is replaced if it ever worked, and the rest continue. */
  private onDown(slot: Slot, reason: string): void {
    if (slot.down || this.closed) return;
    slot.down = true;
    void slot.worker.terminate();
    const err = new CryptoError(CryptoErrorCode.WORKER_FAILED, { reason });
    for (const job of slot.inFlight.values()) job.fail(err);
    slot.inFlight.clear();
    const i = this.slots.indexOf(slot);
    if (slot.healthy) this.slots[i] = this.spawn();
    else this.slots.splice(i, 1);
    if (this.slots.length === 0) {
      for (const p of this.pending.splice(0)) p.reject(err);
      for (const job of this.takeQueued()) job.fail(err);
    } else this.dispatch();
  }
}
