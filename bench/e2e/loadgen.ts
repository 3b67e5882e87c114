/**
 * The load-generator process (forked by bench/e2e/run.ts, IPC messages below).
 * 1. Loads a realistic state through JSON-RPC: identities, then credentials,
 *    record pointers and consents, each phase waited on until finalized.
 * 2. Pre-signs the run's transactions (signing is the client's work, not the
 *    network's: done before the measured window, on-the-fly past the pool).
 * 3. On `go`, drives them through JSON-RPC batches over several keep-alive
 *    connections per validator, round-robin over the validators, either open
 *    loop at a fixed rate or as fast as the network admits (bounded by a
 *    window of unfinalized txs), and times each tx from submit to the
 *    `finalized` WebSocket event of the validator it was submitted to.
 * Every loop is bounded in count and time.
 */
import '../../src/polyfill.js';
import type { Tx } from '../../src/chain/tx.js';
import { fromHex } from '../../src/codec/bytes.js';
import { Conn, call, type FinalizedEvent, FinalizedFeed, type RpcReply } from './client.js';
import { type Kind, Workload } from './workload.js';

export interface LoadgenConfig {
  urls: string[];
  chainId: string;
  orgKeys: string[];
  patients: number;
  practitioners: number;
  /** Connections per validator. */
  connections: number;
  /** txs per JSON-RPC batch (≤ the server's maxBatchLength). */
  batch: number;
  /** Saturation: at most this many submitted, not yet finalized txs. */
  window: number;
  /** The same bound while loading state (registrations are costly to execute: smaller blocks). */
  loadWindow: number;
  /** Fixed rate (tx/s, open loop); null = saturation. */
  rate: number | null;
  warmupMs: number;
  seconds: number;
  /** After the window: how long to wait for the measured txs to finalize. */
  drainMs: number;
  /** Txs signed before `go`. */
  presign: number;
  salt: number;
  /** Receipts fetched after the run per kind, to show what the txs did. */
  sampleReceipts: number;
}

export type ToParent =
  | { type: 'log'; line: string }
  | { type: 'ready'; load: Record<string, number> }
  | { type: 'window'; phase: 'start' | 'end' }
  | {
      type: 'tick';
      t: number;
      finalized: number;
      perSecond: number;
      height: number;
      submitted: number;
      pending: number;
      p50?: number;
      p99?: number;
    }
  | { type: 'done'; result: LoadgenResult }
  | { type: 'error'; message: string };

export interface LoadgenResult {
  finalized_in_window: number;
  window_s: number;
  submitted: number;
  submitted_in_window: number;
  /** Finalized txs of this run per second since `go`. */
  per_second: number[];
  /** Submit→finality latencies (ms) of the txs submitted inside the window, sorted. */
  latencies_ms: number[];
  /** Measured txs not finalized within drainMs after the window. */
  unfinalized: number;
  height: number;
  errors: Record<string, number>;
  kinds: Record<string, number>;
  receipts: Record<string, Record<string, number>>;
  presigned: number;
  signed_on_the_fly: number;
  resent_batches: number;
  /** Txs a node refused with TX_NODE_BUSY (its verifier backlog full) and this generator sent again after a pause. */
  busy_retries: number;
  /** Txs whose tx_submit handler timed out (-32004) and that were sent again after a pause. */
  timeout_retries: number;
  /** Finalized-feed drops by the node and the blocks read back after them (0, 0 in a clean run). */
  feed: { drops: number; backfilled_blocks: number; closes: string[] };
  /** Blocks finalized on validator 0 since `go`: [height, ms since go, txs]. */
  blocks: Array<[number, number, number]>;
}

const send = (m: ToParent): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });
const log = (line: string): void => void send({ type: 'log', line });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Item {
  hex: string;
  hash: string;
  kind: Kind;
  /** First sent (performance.now): a tx sent again after TX_NODE_BUSY is timed from its first try. */
  firstAt?: number;
  /** Sent again after its handler timed out: the first call may have admitted it (TX_DUPLICATE is then success). */
  afterTimeout?: boolean;
}

/** The node's push-back: nothing was judged, the same tx may be sent again later. */
const BUSY = 'TX_NODE_BUSY';
/** The handler ran out of time (an overloaded node): no verdict either, so the tx goes again too. */
const TIMEOUT = 'TIMEOUT';
const BUSY_PAUSE_MS = 50;
const BUSY_PAUSE_MAX_MS = 1000;

const toItem = (tx: Tx, kind: Kind): Item => ({
  hex: Buffer.from(tx.bytes.buffer, tx.bytes.byteOffset, tx.bytes.byteLength).toString('hex'),
  hash: `0x${Buffer.from(tx.hash.buffer, tx.hash.byteOffset, 32).toString('hex')}`,
  kind,
});

interface Pending {
  t: number;
  node: number;
  measured: boolean;
  kind: Kind;
}

class Generator {
  readonly wl: Workload;
  readonly conns: Conn[] = [];
  readonly feeds: FinalizedFeed[] = [];
  readonly pending = new Map<string, Pending>();
  readonly errors: Record<string, number> = {};
  readonly kinds: Record<string, number> = {};
  /** Run txs by kind, a few kept to fetch their receipts afterwards. */
  readonly sample: Record<string, string[]> = {};
  height = 0;
  goAt = 0;
  windowStart = Number.POSITIVE_INFINITY;
  windowEnd = Number.POSITIVE_INFINITY;
  finalizedTotal = 0;
  finalizedInWindow = 0;
  submitted = 0;
  submittedInWindow = 0;
  /** Batches sent again after the server closed an idle keep-alive socket under them. */
  resent = 0;
  /** Txs sent again after TX_NODE_BUSY. */
  busyRetries = 0;
  /** Txs sent again after their tx_submit handler timed out. */
  timeoutRetries = 0;
  perSecond: number[] = [];
  latencies: number[] = [];
  private rr = 0;

  constructor(readonly c: LoadgenConfig) {
    this.wl = new Workload({
      chainId: c.chainId,
      orgKeys: c.orgKeys.map(fromHex),
      patients: c.patients,
      practitioners: c.practitioners,
      salt: c.salt,
      lifetimeMs: 8 * 60_000,
    });
    // Connection k of every validator binds 127.0.0.(10+k): distinct client addresses for the rate limit.
    for (let k = 0; k < c.connections; k++)
      for (const [i, url] of c.urls.entries()) this.conns.push(new Conn(i, url, `127.0.0.${10 + k}`));
  }

  /** Set when a finalized feed is lost beyond recovery: the run fails with it. */
  feedError: Error | undefined;

  async open(): Promise<void> {
    for (const [i, url] of this.c.urls.entries()) {
      // Back-fill reads from 127.0.0.9: not the submit connections' rate-limit buckets.
      const f = new FinalizedFeed(i, url, (e) => this.onFinalized(e), {
        onFail: (err) => {
          this.feedError ??= err;
        },
        log,
        localAddress: '127.0.0.9',
      });
      await f.open();
      this.feeds.push(f);
    }
  }

  /** Throws the feed failure, if any: a run whose finality feed died measures nothing. */
  checkFeeds(): void {
    if (this.feedError !== undefined) throw this.feedError;
  }

  feedStats(): { drops: number; backfilled_blocks: number; closes: string[] } {
    return {
      drops: this.feeds.reduce((a, f) => a + f.stats.drops, 0),
      backfilled_blocks: this.feeds.reduce((a, f) => a + f.stats.backfilled, 0),
      closes: this.feeds.flatMap((f) => f.stats.closes.map((c) => `node${f.node}: ${c}`)),
    };
  }

  readonly blocks: Array<[number, number, number]> = [];

  private onFinalized(e: FinalizedEvent): void {
    if (e.height > this.height) this.height = e.height;
    const now = performance.now();
    if (e.node === 0 && this.goAt > 0 && this.blocks.length < 100_000)
      this.blocks.push([e.height, Math.round(now - this.goAt), e.txs.length]);
    for (const h of e.txs) {
      const p = this.pending.get(h);
      // Timed at the validator it was submitted to (finality is the same on all; delivery is not).
      if (p === undefined || p.node !== e.node) continue;
      this.pending.delete(h);
      this.finalizedTotal++;
      if (p.kind !== 'load') {
        this.sample[p.kind] ??= [];
        const s = this.sample[p.kind] as string[];
        if (s.length < this.c.sampleReceipts) s.push(h);
      }
      if (this.goAt > 0) {
        const s = Math.floor((now - this.goAt) / 1000);
        this.perSecond[s] = (this.perSecond[s] ?? 0) + 1;
        if (now >= this.windowStart && now < this.windowEnd) this.finalizedInWindow++;
      }
      if (p.measured) this.latencies.push(now - p.t);
    }
  }

  /**
   * Sends `items` on one connection until the node has judged them all (admitted or rejected): those
   * it refuses as busy (TX_NODE_BUSY) or whose handler timed out go again after a pause that doubles
   * while it stays so. Past `until`, what is still refused counts as rejected.
   */
  async submit(conn: Conn, items: Item[], until: number): Promise<void> {
    let pause = BUSY_PAUSE_MS;
    for (;;) {
      const busy = await this.submitOnce(conn, items);
      if (busy.length === 0) return;
      if (performance.now() + pause >= until) {
        for (const it of busy) {
          const code = it.afterTimeout === true ? TIMEOUT : BUSY;
          this.errors[code] = (this.errors[code] ?? 0) + 1;
          if (it.afterTimeout === true) {
            if (this.pending.get(it.hash)?.measured === true) this.submittedInWindow--;
            this.pending.delete(it.hash);
          }
        }
        return;
      }
      for (const it of busy) {
        if (it.afterTimeout === true) this.timeoutRetries++;
        else this.busyRetries++;
      }
      await sleep(pause);
      pause = Math.min(BUSY_PAUSE_MAX_MS, 2 * pause);
      items = busy;
    }
  }

  /** Sends one batch; resolves when the node has answered, to the items it refused as busy. */
  private async submitOnce(conn: Conn, all: Item[]): Promise<Item[]> {
    const t = performance.now();
    // A tx whose call timed out stays awaited (that call may have admitted it); once final, it is not sent again.
    const items = all.filter((it) => it.afterTimeout !== true || this.pending.has(it.hash));
    if (items.length === 0) return [];
    let body = '[';
    for (let k = 0; k < items.length; k++) {
      const it = items[k] as Item;
      body += `${k === 0 ? '' : ','}{"jsonrpc":"2.0","id":${k},"method":"tx_submit","params":["0x${it.hex}"]}`;
      if (it.afterTimeout === true) continue;
      it.firstAt ??= t;
      const measured = it.firstAt >= this.windowStart && it.firstAt < this.windowEnd;
      this.pending.set(it.hash, { t: it.firstAt, node: conn.node, measured, kind: it.kind });
      this.kinds[it.kind] = (this.kinds[it.kind] ?? 0) + 1;
      this.submitted++;
      if (measured) this.submittedInWindow++;
    }
    body += ']';
    const busy: Item[] = [];
    const fail = (code: string, n = 1): void => {
      this.errors[code] = (this.errors[code] ?? 0) + n;
    };
    /** Not submitted after all: not counted, no longer awaited. */
    const unsend = (it: Item): void => {
      const p = this.pending.get(it.hash);
      this.pending.delete(it.hash);
      this.kinds[it.kind] = (this.kinds[it.kind] ?? 1) - 1;
      this.submitted--;
      if (p?.measured === true) this.submittedInWindow--;
    };
    try {
      let res: Awaited<ReturnType<Conn['post']>>;
      try {
        res = await conn.post(body);
      } catch (err) {
        // A keep-alive socket the server closed as the batch left: resend once (a tx that did get in
        // comes back as TX_DUPLICATE).
        if (!(err instanceof Error && /hang up|ECONNRESET/.test(err.message))) throw err;
        this.resent++;
        res = await conn.post(body);
      }
      if (res.status !== 200 || !Array.isArray(res.body)) {
        fail(`HTTP_${res.status}`, items.length);
        for (const it of items) this.pending.delete(it.hash);
        return busy;
      }
      for (const r of res.body as RpcReply[]) {
        if (r.error === undefined) continue;
        const it = items[r.id ?? -1];
        const code = (r.error.data as { code?: string } | undefined)?.code ?? r.error.message;
        if (it === undefined) fail(code);
        else if (code === 'TX_DUPLICATE' && it.afterTimeout === true) {
          // Admitted by the call that timed out: awaited as submitted.
        } else if (code === TIMEOUT) {
          it.afterTimeout = true;
          busy.push(it);
        } else if (code === BUSY && it.afterTimeout !== true) {
          unsend(it);
          busy.push(it);
        } else if (code === BUSY) {
          busy.push(it);
        } else {
          fail(code);
          if (this.pending.get(it.hash)?.measured === true) this.submittedInWindow--;
          this.pending.delete(it.hash);
        }
      }
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err), items.length);
      for (const it of items) this.pending.delete(it.hash);
    }
    return busy;
  }

  /** Round-robin over validators (then over each validator's connections). */
  nextConn(maxBusy: number): Conn | undefined {
    for (let k = 0; k < this.conns.length; k++) {
      const c = this.conns[this.rr++ % this.conns.length] as Conn;
      if (c.busy < maxBusy) return c;
    }
    return undefined;
  }

  /** Submits `items` as fast as admitted, at most `window` unfinalized, then waits until all are final. */
  async loadPhase(name: string, txs: Tx[], timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const items = txs.map((t) => toItem(t, 'load'));
    const hashes = items.map((i) => i.hash);
    let next = 0;
    const deadline = t0 + timeoutMs;
    const progress = setInterval(
      () =>
        log(
          `loading ${name}: submitted ${next.toLocaleString('en-US')}/${items.length.toLocaleString('en-US')}, ` +
            `unfinalized ${this.pending.size.toLocaleString('en-US')}, height ${this.height}` +
            `${Object.keys(this.errors).length > 0 ? `, rejected ${JSON.stringify(this.errors)}` : ''}`,
        ),
      5000,
    );
    try {
      await Promise.all(
        this.conns.map(async (conn) => {
          while (next < items.length && performance.now() < deadline) {
            this.checkFeeds();
            if (this.pending.size >= this.c.loadWindow) {
              await sleep(5);
              continue;
            }
            const chunk = items.slice(next, next + this.c.batch);
            next += chunk.length;
            await this.submit(conn, chunk, deadline);
          }
        }),
      );
      while (this.pending.size > 0 && performance.now() < deadline) {
        this.checkFeeds();
        await sleep(50);
      }
    } finally {
      clearInterval(progress);
    }
    const lost = hashes.filter((h) => this.pending.has(h)).length;
    const rejected = Object.entries(this.errors);
    if (lost > 0 || rejected.length > 0)
      throw new Error(`load phase ${name}: ${lost} not finalized, rejected: ${JSON.stringify(this.errors)}`);
    const ms = performance.now() - t0;
    log(`loaded ${name}: ${txs.length.toLocaleString('en-US')} txs in ${Math.round(ms)} ms (height ${this.height})`);
    // Receipts of a few: the state must really hold what the run relies on.
    const bad: string[] = [];
    for (let k = 0; k < Math.min(this.c.sampleReceipts, hashes.length); k++) {
      const h = hashes[Math.floor((k * hashes.length) / Math.min(this.c.sampleReceipts, hashes.length))] as string;
      const r = await call<{ status: string; code: string }>(this.c.urls[0] as string, 'tx_getReceipt', [h]);
      if (r.status !== 'ok') bad.push(`${r.status}:${r.code}`);
    }
    if (bad.length > 0) throw new Error(`load phase ${name}: receipts not ok: ${bad.join(', ')}`);
    return ms;
  }

  async receipts(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [kind, hashes] of Object.entries(this.sample)) {
      const counts: Record<string, number> = {};
      for (const h of hashes) {
        if (this.pending.has(h)) continue;
        try {
          const r = await call<{ status: string; code: string }>(this.c.urls[0] as string, 'tx_getReceipt', [h]);
          const key = r.status === 'ok' ? 'ok' : `${r.status}:${r.code}`;
          counts[key] = (counts[key] ?? 0) + 1;
        } catch {
          counts.not_found = (counts.not_found ?? 0) + 1;
        }
      }
      out[kind] = counts;
    }
    return out;
  }

  close(): void {
    for (const f of this.feeds) f.close();
    for (const c of this.conns) c.close();
  }
}

async function main(c: LoadgenConfig): Promise<void> {
  const g = new Generator(c);
  try {
    await g.open();
    const now = Date.now();
    const tIds = await g.loadPhase('identities', g.wl.loadIdentities(now), 10 * 60_000);
    const tRel = await g.loadPhase('credentials, records, consents', g.wl.loadRelations(Date.now()), 10 * 60_000);
    const t0 = performance.now();
    const pool: Item[] = [];
    const signNow = Date.now();
    for (let k = 0; k < c.presign; k++) {
      const { tx, kind } = g.wl.next(signNow);
      pool.push(toItem(tx, kind));
      // Yield now and then: signing blocks the event loop for tens of seconds, and the nodes drop a
      // WS client that answers no ping within wsPingIntervalMs (30 s; its feeds closed with 1006).
      if (k % 1000 === 999) await new Promise<void>((r) => setImmediate(r));
    }
    log(`pre-signed ${c.presign.toLocaleString('en-US')} txs in ${Math.round(performance.now() - t0)} ms`);
    send({
      type: 'ready',
      load: {
        patients: c.patients,
        practitioners: c.practitioners,
        identities_ms: Math.round(tIds),
        relations_ms: Math.round(tRel),
        height: g.height,
      },
    });
    await new Promise<void>((resolve) => {
      process.once('message', () => resolve());
    });
    await drive(g, pool);
  } finally {
    g.close();
  }
}

async function drive(g: Generator, pool: Item[]): Promise<void> {
  const c = g.c;
  let used = 0;
  let onTheFly = 0;
  const take = (): Item => {
    let it = pool[used];
    if (it !== undefined)
      pool[used] = undefined as unknown as Item; // let it go once sent
    else {
      const { tx, kind } = g.wl.next(Date.now());
      it = toItem(tx, kind);
      onTheFly++;
    }
    used++;
    return it;
  };
  for (const conn of g.conns) conn.reset();
  g.goAt = performance.now();
  g.windowStart = g.goAt + c.warmupMs;
  g.windowEnd = g.windowStart + c.seconds * 1000;
  const stopAt = g.windowEnd;
  const hardStop = stopAt + c.drainMs + 30_000;
  let windowStarted = false;
  let lastTick = g.goAt;
  let lastFinal = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    if (!windowStarted && now >= g.windowStart) {
      windowStarted = true;
      send({ type: 'window', phase: 'start' });
    }
    const lat = g.latencies.slice(-20_000).sort((a, b) => a - b);
    const dt = (now - lastTick) / 1000;
    send({
      type: 'tick',
      t: Math.round((now - g.goAt) / 100) / 10,
      finalized: g.finalizedTotal,
      perSecond: Math.round((g.finalizedTotal - lastFinal) / dt),
      height: g.height,
      submitted: g.submitted,
      pending: g.pending.size,
      ...(lat.length > 0
        ? {
            p50: Math.round(lat[Math.floor(lat.length * 0.5)] as number),
            p99: Math.round(lat[Math.floor(lat.length * 0.99)] as number),
          }
        : {}),
    });
    lastTick = now;
    lastFinal = g.finalizedTotal;
  }, 1000);
  try {
    if (c.rate === null) {
      // Saturation: every connection keeps one batch in flight while fewer than `window` txs await finality.
      await Promise.all(
        g.conns.map(async (conn) => {
          while (performance.now() < stopAt) {
            g.checkFeeds();
            if (g.pending.size >= c.window) {
              await sleep(2);
              continue;
            }
            const items: Item[] = [];
            for (let k = 0; k < c.batch; k++) items.push(take());
            await g.submit(conn, items, stopAt);
          }
        }),
      );
    } else {
      // Open loop at `rate`: every 5 ms, submit what is due, whatever the answers; a connection
      // holds at most 4 requests in flight (past that, the generator falls behind and says so).
      const rate = c.rate;
      let sent = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const now = performance.now();
          if (now >= stopAt || g.feedError !== undefined) {
            clearInterval(timer);
            resolve();
            return;
          }
          let due = Math.floor((rate * (now - g.goAt)) / 1000) - sent;
          while (due > 0) {
            const conn = g.nextConn(4);
            if (conn === undefined) break;
            const n = Math.min(due, c.batch);
            const items: Item[] = [];
            for (let k = 0; k < n; k++) items.push(take());
            sent += n;
            due -= n;
            void g.submit(conn, items, stopAt);
          }
        }, 5);
      });
    }
    g.checkFeeds();
    send({ type: 'window', phase: 'end' });
    // Drain: wait for the measured txs.
    const drainEnd = Math.min(hardStop, performance.now() + c.drainMs);
    const measuredPending = (): number => {
      let n = 0;
      for (const p of g.pending.values()) if (p.measured) n++;
      return n;
    };
    while (performance.now() < drainEnd && measuredPending() > 0) {
      g.checkFeeds();
      await sleep(100);
    }
    g.checkFeeds();
    const unfinalized = measuredPending();
    clearInterval(ticker);
    const receipts = await g.receipts();
    await send({
      type: 'done',
      result: {
        finalized_in_window: g.finalizedInWindow,
        window_s: c.seconds,
        submitted: g.submitted,
        submitted_in_window: g.submittedInWindow,
        per_second: Array.from(g.perSecond, (x) => x ?? 0),
        latencies_ms: g.latencies.sort((a, b) => a - b).map((x) => Math.round(x)),
        unfinalized,
        height: g.height,
        errors: g.errors,
        kinds: g.kinds,
        receipts,
        presigned: pool.length,
        signed_on_the_fly: onTheFly,
        resent_batches: g.resent,
        busy_retries: g.busyRetries,
        timeout_retries: g.timeoutRetries,
        feed: g.feedStats(),
        blocks: g.blocks,
      },
    });
  } finally {
    clearInterval(ticker);
  }
}

if (process.send !== undefined) {
  // The parent dies → so does this process.
  process.on('disconnect', () => process.exit(0));
  process.once('message', (m: { type: 'config'; config: LoadgenConfig }) => {
    main(m.config).then(
      () => process.exit(0),
      (err: unknown) => {
        void send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).then(
          () => process.exit(1),
        );
      },
    );
  });
}
