import { leafHash } from '../src/chain/merkle.js';
import { decodeTx, type Tx, TxError, TxErrorCode } from '../src/chain/tx.js';
import { equal } from '../src/codec/bytes.js';
import type { VerifyItem } from '../src/crypto/pool/index.js';
import { isCoded } from '../src/errors.js';
import { txSigningMessage } from '../src/tx/sign.js';
import { mapKey } from '../state/exec/keys.js';
import type { TxKindHandler } from '../state/exec/machine.js';

export interface MempoolOptions {
  maxTxs: number;
  maxBytes: number;
  /** One key cannot fill the pool (a hospital's many terminals share one org identity: keep it generous). */
  maxPerSender: number;
  /**
   * Admission refuses bundles whole (TX_NODE_BUSY, retryable) instead of queueing more checks once
   * this many signatures wait for the verifier, or once the oldest has waited maxVerifyWaitMs: well
   * inside the RPC handler timeout, so clients get an answer and back off rather than time out.
   * The wait bound is the one that holds on a shared machine, where verify speed varies tenfold.
   */
  maxVerifyBacklog: number;
  maxVerifyWaitMs: number;
}

export const defaultMempoolOptions: MempoolOptions = {
  maxTxs: 100_000,
  maxBytes: 128 * 1024 * 1024,
  maxPerSender: 20_000,
  maxVerifyBacklog: 4096,
  maxVerifyWaitMs: 1000,
};

/** What admission needs from the rest of the node: narrow, so tests pass fakes. */
export interface MempoolDeps {
  chainId: string;
  maxTxLifetimeMs: number;
  /** Allowed clock skew between a client and this node when checking expiry windows. */
  clockSkewMs?: number;
  kind(kind: number): TxKindHandler | undefined;
  /** Included and not yet expired: may never be included again. */
  isIncluded(hash: Uint8Array): boolean;
  verifyMany(items: VerifyItem[]): Promise<boolean[]>;
  /** The verifier's backlog: signatures waiting and how long the oldest has waited (ms). */
  verifyBacklog?(): { signatures: number; waitMs: number };
  /**
   * The state layer's sender rule against committed state (registered identity, current key,
   * not suspended, or the kind's own proof): the reason a tx is refused, or null.
   */
  senderError?(tx: Tx, body: unknown): string | null;
  /** True if this node already verified this exact signed tx elsewhere (a proposal's body): no second verify. */
  preverified?(tx: Tx): boolean;
  /** Warms state for admitted transactions (their blocks then execute without cache misses). */
  prefetch?(txs: readonly Tx[]): void;
  /** Local clock (ms): only for the expiry window at admission; blocks judge by block time. */
  now(): number;
}

export type AddResult = { ok: true; hash: Uint8Array } | { ok: false; code: string };

interface Entry {
  tx: Tx;
  /** The signing key (authenticated once the signature verified), never the claimed `signer`. */
  senderKey: string;
  /** Its RFC 6962 leaf hash (mapKey), the key under which a block body finds it. */
  leaf: string;
}

/**
 * Pending transactions in arrival order. Admission runs the untrusted-input
 * pipeline cheap-to-expensive: size and strict decode, chain id, kind and
 * body shape, expiry window, dedupe, limits, and the signature last, verified
 * in batches through the verifier pool. A transaction admitted here is never
 * signature-checked again by this node (see `hasVerified`).
 */
export class Mempool {
  private readonly txs = new Map<string, Entry>();
  /** The same entries by leaf hash: a proposal's body reuses their decode (`known`). */
  private readonly byLeaf = new Map<string, Tx>();
  private readonly perSender = new Map<string, number>();
  private bytes = 0;
  private readonly listeners: Array<() => void> = [];
  /** Admission results since start (`admitted` or the coded reason), read by metrics at scrape time. */
  private readonly outcomes = new Map<string, number>();
  /**
   * Signatures being verified, by hash + signature: a copy arriving meanwhile (RPC, other peers)
   * waits for that verdict instead of a second verify. Keyed with the signature, so a copy that
   * signs the same payload differently is verified on its own and cannot stand in for the real one.
   * Entries live while their batch verifies: bounded by the admissions in flight.
   */
  private readonly verifying = new Map<string, { batch: Promise<boolean[]>; j: number }>();

  constructor(
    private readonly opts: MempoolOptions,
    private readonly deps: MempoolDeps,
  ) {}

  get size(): number {
    return this.txs.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  admissionCounts(): ReadonlyMap<string, number> {
    return this.outcomes;
  }

  /** Called when transactions become available (the engine proposes promptly). */
  onAdded(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * Admits one tx. Single submissions of one event-loop turn (a JSON-RPC batch of tx_submit calls,
   * many clients at once) are admitted as one bundle: one verifier job instead of one per tx.
   */
  async add(bytes: Uint8Array): Promise<Uint8Array> {
    const r = await new Promise<AddResult | undefined>((resolve, reject) => {
      this.singles.push({ bytes, resolve, reject });
      if (this.singles.length === 1) setImmediate(this.flushSingles);
    });
    if (r === undefined || !r.ok) throw new TxError((r?.code ?? TxErrorCode.MALFORMED) as TxErrorCode);
    return r.hash;
  }

  private singles: Array<{
    bytes: Uint8Array;
    resolve(r: AddResult | undefined): void;
    reject(err: unknown): void;
  }> = [];

  private readonly flushSingles = (): void => {
    const batch = this.singles;
    this.singles = [];
    this.addMany(batch.map((s) => s.bytes)).then(
      (rs) => {
        for (let i = 0; i < batch.length; i++) batch[i]?.resolve(rs[i]);
      },
      (err: unknown) => {
        for (const s of batch) s.reject(err);
      },
    );
  };

  /** Admits a bundle; one result per item, in order. */
  async addMany(items: readonly Uint8Array[]): Promise<AddResult[]> {
    // Push back before any work: queueing more verifies only delays consensus and every client.
    const backlog = this.deps.verifyBacklog?.();
    if (
      backlog !== undefined &&
      (backlog.signatures >= this.opts.maxVerifyBacklog || backlog.waitMs >= this.opts.maxVerifyWaitMs)
    )
      return this.counted(items.map(() => ({ ok: false, code: TxErrorCode.NODE_BUSY })));
    const results: AddResult[] = new Array(items.length);
    const pending: Array<{ i: number; tx: Tx; k: string }> = [];
    const waiting: Array<{ i: number; tx: Tx; batch: Promise<boolean[]>; j: number }> = [];
    const known: Array<{ i: number; tx: Tx }> = [];
    const inBatch = new Set<string>();
    const now = this.deps.now();
    const skew = this.deps.clockSkewMs ?? 30_000;
    for (let i = 0; i < items.length; i++) {
      try {
        const tx = decodeTx(items[i] as Uint8Array);
        if (tx.chainId !== this.deps.chainId) throw new TxError(TxErrorCode.WRONG_CHAIN);
        const handler = this.deps.kind(tx.kind);
        if (handler === undefined) throw new TxError(TxErrorCode.UNKNOWN_KIND, { kind: tx.kind });
        const body = handler.decodeBody(tx.body, tx);
        if (tx.expiresAt < now - skew) throw new TxError(TxErrorCode.EXPIRED);
        if (tx.expiresAt > now + this.deps.maxTxLifetimeMs + skew) throw new TxError(TxErrorCode.EXPIRY_TOO_FAR);
        const h = mapKey(tx.hash);
        // The same signed bytes twice in one bundle; a differently signed copy is verified on its own.
        const k = h + mapKey(tx.signature);
        if (this.txs.has(h) || inBatch.has(k) || this.deps.isIncluded(tx.hash))
          throw new TxError(TxErrorCode.DUPLICATE);
        // Stateful, before the signature: a throwaway key or someone else's id costs no verify.
        const refused = this.deps.senderError?.(tx, body) ?? null;
        if (refused !== null) throw new TxError(TxErrorCode.BAD_SENDER, { reason: refused });
        inBatch.add(k);
        const shared = this.verifying.get(k);
        if (shared !== undefined) waiting.push({ i, tx, ...shared });
        else if (this.deps.preverified?.(tx) === true) known.push({ i, tx });
        else pending.push({ i, tx, k });
      } catch (err) {
        results[i] = { ok: false, code: isCoded(err) ? err.code : TxErrorCode.MALFORMED };
      }
    }
    if (pending.length === 0 && waiting.length === 0 && known.length === 0) return this.counted(results);
    const batch =
      pending.length === 0
        ? Promise.resolve([])
        : this.deps.verifyMany(
            pending.map(({ tx }) => ({ msg: txSigningMessage(tx), sig: tx.signature, pk: tx.pubkey })),
          );
    for (let j = 0; j < pending.length; j++) this.verifying.set((pending[j] as { k: string }).k, { batch, j });
    let valid: boolean[];
    let shared: boolean[][];
    try {
      // Every batch awaited here is awaited by its own caller too: a rejection is never unhandled.
      [valid, ...shared] = await Promise.all([batch, ...waiting.map((w) => w.batch)]);
    } finally {
      for (const { k } of pending) if (this.verifying.get(k)?.batch === batch) this.verifying.delete(k);
    }
    const verdicts = [
      ...known.map(({ i, tx }) => ({ i, tx, ok: true })),
      ...pending.map(({ i, tx }, j) => ({ i, tx, ok: valid[j] === true })),
      ...waiting.map(({ i, tx, j }, n) => ({ i, tx, ok: shared[n]?.[j] === true })),
    ];
    const added: Tx[] = [];
    for (const { i, tx, ok } of verdicts) {
      if (!ok) {
        results[i] = { ok: false, code: TxErrorCode.BAD_SIGNATURE };
        continue;
      }
      results[i] = this.insert(tx);
      if (results[i]?.ok) added.push(tx);
    }
    if (added.length > 0) {
      this.deps.prefetch?.(added);
      for (const fn of this.listeners) fn();
    }
    return this.counted(results);
  }

  private counted(results: AddResult[]): AddResult[] {
    for (const r of results) {
      const k = r.ok ? 'admitted' : r.code;
      this.outcomes.set(k, (this.outcomes.get(k) ?? 0) + 1);
    }
    return results;
  }

  /** Up to `max` transactions in arrival order that may be included at block `time`. */
  take(max: number, time: number, mayInclude: (tx: Tx) => boolean): Tx[] {
    const out: Tx[] = [];
    for (const { tx } of this.txs.values()) {
      if (out.length >= max) break;
      if (tx.expiresAt >= time && mayInclude(tx)) out.push(tx);
    }
    return out;
  }

  /** True if this exact signed transaction (same signature, not just same hash) passed admission here. */
  hasVerified(tx: Tx): boolean {
    const e = this.txs.get(mapKey(tx.hash));
    return e !== undefined && equal(e.tx.signature, tx.signature) && equal(e.tx.pubkey, tx.pubkey);
  }

  /**
   * The pooled tx with these exact bytes (its leaf hash is `leaf`): decoded, its body accepted by
   * its kind and its signature verified here, so a block body carrying it need not decode it again.
   */
  known(leaf: Uint8Array, bytes: Uint8Array): Tx | undefined {
    const tx = this.byLeaf.get(mapKey(leaf));
    return tx !== undefined && equal(tx.bytes, bytes) ? tx : undefined;
  }

  /** Drops transactions that may no longer be included (the builder found their sender refused). */
  evict(txs: readonly Tx[]): void {
    for (const tx of txs) this.remove(mapKey(tx.hash));
  }

  /** Drops committed transactions and those that expired by block `time`. */
  update(committed: readonly Tx[], time: number): void {
    for (const tx of committed) this.remove(mapKey(tx.hash));
    for (const [k, e] of this.txs) if (e.tx.expiresAt < time) this.remove(k);
  }

  private insert(tx: Tx): AddResult {
    const k = mapKey(tx.hash);
    if (this.txs.has(k)) return { ok: false, code: TxErrorCode.DUPLICATE };
    if (this.txs.size >= this.opts.maxTxs || this.bytes + tx.bytes.length > this.opts.maxBytes)
      return { ok: false, code: TxErrorCode.MEMPOOL_FULL };
    // Quota per authenticated key: the signature over `pubkey` verified, `signer` is only a claim.
    const senderKey = mapKey(tx.pubkey);
    const n = this.perSender.get(senderKey) ?? 0;
    if (n >= this.opts.maxPerSender) return { ok: false, code: TxErrorCode.SENDER_LIMIT };
    this.perSender.set(senderKey, n + 1);
    const leaf = mapKey(leafHash(tx.bytes));
    this.txs.set(k, { tx, senderKey, leaf });
    this.byLeaf.set(leaf, tx);
    this.bytes += tx.bytes.length;
    return { ok: true, hash: tx.hash };
  }

  private remove(k: string): void {
    const e = this.txs.get(k);
    if (e === undefined) return;
    this.txs.delete(k);
    this.byLeaf.delete(e.leaf);
    this.bytes -= e.tx.bytes.length;
    const n = (this.perSender.get(e.senderKey) ?? 1) - 1;
    if (n <= 0) this.perSender.delete(e.senderKey);
    else this.perSender.set(e.senderKey, n);
  }
}
