import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CryptoError, CryptoErrorCode } from '../ed25519.js';
import { bitAt, isPackable, packJob, type VerifyItem } from './job.js';
import type { JobReply, JobRequest } from './worker.js';

/**
 * Ed25519 verification on worker_threads, after lodestar's chain/bls/multithread:
 * `batchable` requests are buffered by count and time into one job, `priority`
 * requests jump the queue, `verifyMany` splits large inputs across all workers.
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
}

export const defaultVerifierPoolOptions: VerifierPoolOptions = {
  workers: availableParallelism(),
  maxBatch: 128,
  maxWaitMs: 20,
  maxJobsPerWorker: 2,
  maxJobItems: 1024,
  flushWhenIdle: false,
};

export interface VerifyOptions {
  /** May wait up to maxWaitMs to share a job with other requests. */
  batchable?: boolean;
  /** Sent at once, ahead of queued jobs (bypasses the batch buffer). */
  priority?: boolean;
}

interface Job {
  buf: ArrayBuffer;
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
  private readonly queue: Job[] = [];
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closed = false;
  /** Jobs and signatures sent to workers since start (metrics: items / jobs = batch size). */
  private readonly sent = { jobs: 0, items: 0 };

  constructor(opts: Partial<VerifierPoolOptions> = {}) {
    this.opts = { ...defaultVerifierPoolOptions, ...opts };
    const o = this.opts;
    if (!(o.workers >= 1 && o.maxBatch >= 1 && o.maxWaitMs >= 0 && o.maxJobsPerWorker >= 1 && o.maxJobItems >= 1))
      throw new RangeError('invalid VerifierPool options');
    for (let i = 0; i < o.workers; i++) this.slots.push(this.spawn());
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Requests waiting (buffered or queued for a worker) and cumulative jobs/items sent. */
  stats(): { queued: number; jobs: number; items: number } {
    return { queued: this.pending.length + this.queue.length, ...this.sent };
  }

  verify(msg: Uint8Array, sig: Uint8Array, pk: Uint8Array, opts: VerifyOptions = {}): Promise<boolean> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const item: VerifyItem = { msg, sig, pk };
    if (!isPackable(item)) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      if (opts.batchable === true && opts.priority !== true) {
        this.pending.push({ item, resolve, reject });
        if (this.pending.length >= this.opts.maxBatch || this.idleNow()) this.flush();
        else this.timer ??= setTimeout(() => this.flush(), this.opts.maxWaitMs);
        return;
      }
      const buf = packJob([item], [0], 0, 1);
      this.enqueue({ buf, done: (bits) => resolve(bitAt(bits, 0)), fail: reject }, opts.priority === true, 1);
    });
  }

  /** One result per item, in order; malformed items are false, never thrown. */
  async verifyMany(items: readonly VerifyItem[]): Promise<boolean[]> {
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
          this.enqueue({ buf, done, fail: reject }, false, to - from);
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
    for (const job of this.queue.splice(0)) job.fail(err());
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
    return this.opts.flushWhenIdle && this.queue.length === 0 && this.slots.some((s) => s.inFlight.size === 0);
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
    this.enqueue({ buf, done, fail }, false, items.length);
  }

  private enqueue(job: Job, priority: boolean, items: number): void {
    this.sent.jobs++;
    this.sent.items += items;
    if (priority) this.queue.unshift(job);
    else this.queue.push(job);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.slots)
        if (
          s.inFlight.size < this.opts.maxJobsPerWorker &&
          (best === undefined || s.inFlight.size < best.inFlight.size)
        )
          best = s;
      if (best === undefined) return;
      const job = this.queue.shift() as Job;
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
      for (const job of this.queue.splice(0)) job.fail(err);
    } else this.dispatch();
  }
}
