import { toHex } from '../src/codec/bytes.js';
import { sha256 } from '../src/crypto/hash.js';
import { decodeBundle } from './bundle.js';
import type { TxBundlerOptions } from './options.js';
import { GossipReason, SeenCache, type Validation } from './validation.js';

/** One admission result per item, as the mempool answers (`code` is a TxErrorCode). */
export type AdmitResult = { ok: true } | { ok: false; code: string };

export interface TxGossipDeps {
  /**
   * The node's one tx admission pipeline (the mempool): per item, strict
   * decode and stateless checks (chain, kind, body, expiry), then stateful
   * ones (duplicate, included, quotas), signatures last, in one batch.
   */
  admit(items: readonly Uint8Array[]): Promise<AdmitResult[]>;
}

/** Item codes no honest node forwards: the whole bundle is rejected and its sender penalised. */
const INVALID = new Set(['TX_BAD_SIGNATURE', 'TX_MALFORMED', 'TX_OVERSIZE', 'TX_WRONG_CHAIN']);
/** Codes that are facts about the bytes, not about this node's clock or pool: worth remembering. */
const FINAL = new Set([...INVALID, 'TX_DUPLICATE']);

/**
 * Validator of the tx gossip topic, with the sender's limits (TxBundlerOptions):
 * a bundle costs at most `maxItems` signature checks, and a tx this node has
 * already judged costs none.
 */
export class TxGossipValidator {
  /** sha256(item) → whether it was invalid (admitted or duplicate: false). */
  private readonly seen: SeenCache<boolean>;

  constructor(
    private readonly opts: TxBundlerOptions,
    private readonly deps: TxGossipDeps,
  ) {
    this.seen = new SeenCache<boolean>(opts.seenCacheSize, 0);
  }

  private validating = 0;
  /** sha256(item) → the admission batch judging it now and its index there (bounded by maxValidating bundles). */
  private readonly judging = new Map<string, { batch: Promise<AdmitResult[]>; i: number }>();

  async validate(bytes: Uint8Array): Promise<Validation> {
    // [IGNORE] a bounded amount of work in flight: beyond it, drop (no penalty: it may be load, not malice).
    if (this.validating >= this.opts.maxValidating) return GossipReason.BUSY;
    this.validating++;
    try {
      return await this.judge(bytes);
    } finally {
      this.validating--;
    }
  }

  private async judge(bytes: Uint8Array): Promise<Validation> {
    let items: Uint8Array[];
    try {
      // [REJECT] size limit before decode, then a bounded decode (once): at most
      // maxItems items of at most maxItemBytes, maxBytes in all, the sender's limits.
      items = decodeBundle(bytes, this.opts);
    } catch {
      return GossipReason.MALFORMED;
    }
    // Seen-cache: a tx judged before is not decoded or verified again; one being judged (a copy
    // from another peer) waits for that judgement, the same bytes get the same answer.
    const fresh: Uint8Array[] = [];
    const keys: string[] = [];
    const waits: Array<{ batch: Promise<AdmitResult[]>; i: number }> = [];
    for (const item of items) {
      const k = toHex(sha256(item));
      const known = this.seen.get(k);
      // [REJECT] a tx already found invalid (bad signature, malformed, other chain).
      if (known === true) return GossipReason.INVALID_TX;
      if (known === false) continue;
      const judging = this.judging.get(k);
      if (judging !== undefined) waits.push(judging);
      else {
        fresh.push(item);
        keys.push(k);
      }
    }
    // [IGNORE] nothing new in it.
    if (fresh.length === 0 && waits.length === 0) return GossipReason.DUPLICATE;
    // Stateless → stateful → signatures: the mempool's admission pipeline.
    const batch = fresh.length === 0 ? Promise.resolve([]) : this.deps.admit(fresh);
    // The first index of an item the bundle repeats: the later ones are the mempool's TX_DUPLICATE.
    for (let i = 0; i < keys.length; i++)
      if (!this.judging.has(keys[i] as string)) this.judging.set(keys[i] as string, { batch, i });
    let results: AdmitResult[];
    let others: AdmitResult[][];
    try {
      // Each batch is awaited by the bundle that started it too: no rejection goes unhandled.
      [results, ...others] = await Promise.all([batch, ...waits.map((w) => w.batch)]);
    } finally {
      for (const k of keys) if (this.judging.get(k)?.batch === batch) this.judging.delete(k);
    }
    let admitted = false;
    let invalid = false;
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as AdmitResult;
      const k = keys[i] as string;
      if (r.ok) admitted = true;
      else if (INVALID.has(r.code)) invalid = true;
      if (r.ok || FINAL.has(r.code)) this.seen.add(k, !r.ok && INVALID.has(r.code));
    }
    // A copy judged by another bundle brings nothing new here, but an invalid one is still invalid.
    for (const [n, w] of waits.entries()) {
      const r = others[n]?.[w.i];
      if (r !== undefined && !r.ok && INVALID.has(r.code)) invalid = true;
    }
    // [REJECT] any tx no honest node admits.
    if (invalid) return GossipReason.INVALID_TX;
    // [ACCEPT] forward what brought something new; [IGNORE] otherwise (pool full, expiry by our clock, ...).
    if (admitted) return 'accept';
    return fresh.length === 0 ? GossipReason.DUPLICATE : GossipReason.NOT_ADMITTED;
  }
}
