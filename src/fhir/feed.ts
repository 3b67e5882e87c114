/// <reference types="fhir" />
/**
 * The audit feed (IHE ATNA ITI-20, FHIR feed option): each finalized block's AuditEvents go to the
 * configured audit record repository as one `batch` Bundle of `PUT AuditEvent/<id>` entries, in
 * chain order, block after block. Delivery is at least once: the delivered height is persisted
 * (atomically) only after the repository accepted the block, so a restart or an outage resumes
 * from there and may resend the last block; ids are chain positions, so a repeat overwrites the
 * same resource (update-as-create) and a receiver that keeps both sees the same id twice.
 * Failures are retried with exponential backoff up to a cap, never skipped; a log line reports
 * the lag (head height minus delivered height) periodically.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { CommittedBlock } from '../../consensus/chain-executor.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { type AuditSource, toAuditEvent } from './audit-event.js';
import type { FeedOptions } from './options.js';
import { blockEntries, kindOf } from './source.js';

export interface FeedLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface FeedDeps {
  api: NodeApi;
  source: AuditSource;
  logger: FeedLogger;
  fetch?: typeof fetch;
  /** The node's shutdown signal: stops the loop and any retry wait, as `close` does. */
  signal?: AbortSignal;
}

interface CursorFile {
  chainId: string;
  height: number;
}

export class AuditFeed {
  private delivered = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastLag = 0;
  private readonly f: typeof fetch;
  /** Counters for tests and metrics. */
  readonly stats = { posts: 0, failures: 0, events: 0 };

  constructor(
    readonly opts: FeedOptions,
    private readonly deps: FeedDeps,
  ) {
    this.f = deps.fetch ?? globalThis.fetch;
    deps.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  get deliveredHeight(): number {
    return this.delivered;
  }

  start(): void {
    if (this.loop !== null) return;
    const onCommitted = (_c: CommittedBlock): void => this.wake?.();
    this.deps.api.events.on('committed', onCommitted);
    this.loop = this.run()
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted)
          this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'fhir feed: stopped');
      })
      .finally(() => this.deps.api.events.off('committed', onCommitted));
  }

  async close(): Promise<void> {
    this.stop();
    await this.loop;
  }

  private stop(): void {
    this.abort.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { api, source, logger } = this.deps;
    this.delivered = await this.loadCursor();
    logger.info(
      { delivered: this.delivered, head: api.chain.head.height, url: redact(this.opts.url) },
      'fhir feed: started',
    );
    const signal = this.abort.signal;
    let dirty = false;
    while (!signal.aborted) {
      this.logLag();
      const head = api.chain.head.height;
      if (this.delivered >= head) {
        if (dirty) {
          await this.saveCursor();
          dirty = false;
        }
        await this.idle();
        continue;
      }
      const height = this.delivered + 1;
      const entries = await blockEntries(api, height);
      if (entries.length > 0) {
        const kind = (id: Uint8Array) => kindOf(api, id);
        const events = entries.map((e) => toAuditEvent(e, source, kind));
        if (!(await this.deliver(height, events))) return;
        this.stats.events += events.length;
        this.delivered = height;
        await this.saveCursor();
        dirty = false;
      } else {
        this.delivered = height;
        dirty = true;
      }
    }
    if (dirty) await this.saveCursor();
  }

  /** POSTs one block's events until the repository takes them (false only when closing). */
  private async deliver(height: number, events: fhir4.AuditEvent[]): Promise<boolean> {
    const bundle: fhir4.Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: events.map((ev) => ({
        fullUrl: `urn:medchain:audit:${ev.id as string}`,
        resource: ev,
        request: { method: 'PUT', url: `AuditEvent/${ev.id as string}` },
      })),
    };
    const body = JSON.stringify(bundle);
    const headers: Record<string, string> = {
      'content-type': 'application/fhir+json',
      accept: 'application/fhir+json',
    };
    if (this.opts.token !== undefined) headers.authorization = `Bearer ${this.opts.token}`;
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      let status = 0;
      try {
        this.stats.posts++;
        const res = await this.f(this.opts.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs)]),
        });
        status = res.status;
        const text = await res.text();
        if (res.ok && batchAccepted(text)) return true;
      } catch {
        // network error, timeout or close: retried below
      }
      if (this.abort.signal.aborted) return false;
      this.stats.failures++;
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.min(attempt, 20));
      const log = attempt < 3 ? this.deps.logger.warn : this.deps.logger.error;
      log.call(
        this.deps.logger,
        { height, events: events.length, status, attempt: attempt + 1, retryInMs: delay },
        'fhir feed: delivery failed',
      );
      await this.sleep(delay * (0.75 + Math.random() * 0.5));
    }
    return false;
  }

  private logLag(): void {
    const now = Date.now();
    if (now - this.lastLag < this.opts.lagLogMs) return;
    this.lastLag = now;
    const head = this.deps.api.chain.head.height;
    const lag = head - this.delivered;
    const o = { delivered: this.delivered, head, lag };
    if (lag > this.opts.lagWarnBlocks) this.deps.logger.warn(o, 'fhir feed: lag');
    else this.deps.logger.info(o, 'fhir feed: lag');
  }

  /** Until a block commits, the lag period passes or the feed closes. */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, this.opts.lagLogMs);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const signal = this.abort.signal;
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  private async loadCursor(): Promise<number> {
    const start = Math.max(0, this.opts.fromHeight - 1);
    let text: string;
    try {
      text = await readFile(this.opts.cursorFile, 'utf8');
    } catch {
      return start;
    }
    try {
      const c = JSON.parse(text) as CursorFile;
      if (c.chainId === this.deps.source.chainId && Number.isSafeInteger(c.height) && c.height >= 0) return c.height;
    } catch {
      // unreadable: start over below (at least once allows a resend, never a skip)
    }
    this.deps.logger.warn({ file: this.opts.cursorFile }, 'fhir feed: cursor file not for this chain; starting over');
    return start;
  }

  private async saveCursor(): Promise<void> {
    const c: CursorFile = { chainId: this.deps.source.chainId, height: this.delivered };
    const tmp = `${this.opts.cursorFile}.tmp`;
    await writeFile(tmp, `${JSON.stringify(c)}\n`);
    await rename(tmp, this.opts.cursorFile);
  }
}

/** A batch-response Bundle whose entries all succeeded (or any 2xx body that is not a Bundle). */
function batchAccepted(text: string): boolean {
  if (text === '') return true;
  let b: unknown;
  try {
    b = JSON.parse(text);
  } catch {
    return true;
  }
  const entries = (b as { resourceType?: string; entry?: { response?: { status?: string } }[] }).entry;
  if ((b as { resourceType?: string }).resourceType !== 'Bundle' || !Array.isArray(entries)) return true;
  return entries.every((e) => /^2\d\d/.test(e.response?.status ?? '200'));
}

/** The repository URL without credentials or query (for logs). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'invalid';
  }
}
