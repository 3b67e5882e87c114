/**
 * Erasure at the custodian: shred a record once its erasure is final (the deletion receipt is
 * written in the same batch as the deletes), anchor the receipt's hash on chain with the
 * custodian's ATTEST_DELETION and retry until the chain shows it, collect uploads no pointer
 * anchors, and purge expired persisted nonces.
 */

import { TxFactory } from '../client/tx.js';
import { type DeletionReceipt, receiptPayload } from '../client/vault/protocol.js';
import { equal, to0x } from '../codec/bytes.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { sign, verify } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import type { VaultChain } from './chain.js';
import type { VaultLogger } from './options.js';
import type { VaultStore } from './store.js';

/** Deletion attestations (re)submitted per attestPending pass at most. */
const MAX_ATTESTS_PER_PASS = 1_000;
/** A resent attestation waits this long past the previous tx's expiry (mempool grace + a block). */
const RESEND_AFTER_EXPIRY_MS = 60_000;

export interface ErasureDeps {
  store: VaultStore;
  chain: VaultChain;
  custodian: { id: Uint8Array; secretKey: Uint8Array; publicKey: Uint8Array };
  log: VaultLogger;
  now: () => number;
  unanchoredGraceMs: number;
  /** A record was shredded (drop what is cached about it). */
  onShred(record: Uint8Array): void;
}

export class Erasure {
  /** Records whose ATTEST_DELETION this process submitted, with the tx's expiry (no twin before it). */
  private readonly inFlight = new Map<string, number>();
  private attestRun: Promise<number> | undefined;
  private readonly shredding = new Map<string, Promise<DeletionReceipt | undefined>>();

  constructor(private readonly deps: ErasureDeps) {}

  private readonly now = (): number => this.deps.now();

  /** Waits for running shreds and attestation passes. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.shredding.values(), this.attestRun]);
  }

  /**
   * Shreds a record after a finalized erasure, signs a deletion receipt and anchors its hash on
   * chain with an ATTEST_DELETION tx of the custodian (idempotent). The receipt is stored before
   * the tx is submitted, and the anchor is eventually made: a refused submit, a tx that expired in
   * the mempool or a crash in between is caught up by attestPending (reconcile, and periodically
   * from the follower). Meanwhile the receipt is served without `attestTx`.
   */
  shred(record: Uint8Array, eraseTx: string, height: number): Promise<DeletionReceipt | undefined> {
    // The follower's events and reconcile may shred the same record at once: one receipt, one tx.
    const k = to0x(record);
    let run = this.shredding.get(k);
    if (run === undefined) {
      run = this.shredOnce(record, eraseTx, height).finally(() => this.shredding.delete(k));
      this.shredding.set(k, run);
    }
    return run;
  }

  private async shredOnce(record: Uint8Array, eraseTx: string, height: number): Promise<DeletionReceipt | undefined> {
    const st = this.deps.store;
    const old = await st.getReceipt(record);
    if (old !== undefined) return JSON.parse(old) as DeletionReceipt;
    let receipt: DeletionReceipt | undefined;
    // The receipt is written in the same batch as the deletes: a crash cannot lose it.
    const gone = await st.shred(record, (meta, keys) => {
      const body = {
        record: to0x(record),
        custodian: to0x(this.deps.custodian.id),
        locator: to0x(meta.locator),
        eraseTx,
        height,
        keys,
        deletedAt: this.now(),
      };
      const sig = sign(
        signingMessage(SignPurpose.DELETION_RECEIPT, this.deps.chain.chainId, receiptPayload(body)),
        this.deps.custodian.secretKey,
      );
      receipt = { ...body, signature: to0x(sig) };
      return JSON.stringify(receipt);
    });
    this.deps.onShred(record);
    if (gone === undefined || receipt === undefined) return undefined;
    this.deps.log.info({ record: to0x(record), eraseTx, height, keys: gone.keys }, 'record shredded');
    await this.attest(record, receipt);
    return receipt;
  }

  /** Deletes expired persisted nonces (they accrue one per open); returns how many stay. */
  async purgeNonces(): Promise<number> {
    return (await this.deps.store.loadNonces(this.now())).length;
  }

  /**
   * Deletes blobs uploaded more than unanchoredGraceMs ago that no pointer on chain anchors (no
   * pointer, or one naming another blob or patient): uploads nobody registered cannot pile up.
   * Returns the number collected.
   */
  async collectUnanchored(limit = 1_000): Promise<number> {
    const cutoff = this.now() - this.deps.unanchoredGraceMs;
    const old: Uint8Array[] = [];
    for await (const { record, meta } of this.deps.store.metas()) {
      if (meta.storedAt > cutoff) continue;
      const p = await this.deps.chain.record(record);
      const anchored =
        p !== undefined && p.locator !== null && equal(p.locator, meta.locator) && equal(p.patient, meta.patient);
      if (!anchored && p?.erased !== true) old.push(record);
      if (old.length >= limit) break;
    }
    let n = 0;
    for (const r of old) if ((await this.deps.store.shred(r)) !== undefined) n++;
    if (n > 0) this.deps.log.info({ collected: n }, 'unanchored blobs collected');
    return n;
  }

  /**
   * Anchors sha256(receiptPayload) on chain with the custodian org's ATTEST_DELETION (the record is
   * erased in finalized state by now, which the chain's rule requires) and stores the receipt with
   * its `attestTx`; anyone can then check a served receipt against record_get's `deletionReceipt`.
   * The one path of shred and of re-submissions. False if the node refused the tx (logged).
   */
  private async attest(record: Uint8Array, receipt: DeletionReceipt): Promise<boolean> {
    const key = receipt.record;
    let submitted = false;
    try {
      const { id, publicKey, secretKey } = this.deps.custodian;
      const tx = new TxFactory({
        chainId: this.deps.chain.chainId,
        account: { id, publicKey, secretKey },
        now: this.now,
      }).attestDeletion(record, sha256(receiptPayload(receipt)));
      // Marked before the submit, so a concurrent pass sends no twin while this one may still land.
      if (this.inFlight.size >= 100_000) this.inFlight.clear();
      this.inFlight.set(key, tx.expiresAt);
      receipt.attestTx = await this.deps.chain.submit(tx.bytes);
      submitted = true;
      await this.deps.store.putReceipt(record, JSON.stringify(receipt));
      return true;
    } catch (err) {
      if (submitted) throw err;
      this.inFlight.delete(key);
      const reason =
        err instanceof Error && 'reason' in err
          ? String(err.reason)
          : err instanceof Error && 'code' in err
            ? String(err.code)
            : 'submit';
      this.deps.log.warn({ record: key, reason }, 'deletion attestation not submitted');
      return false;
    }
  }

  /**
   * Shreds every stored record whose pointer is erased on chain, then re-submits missing deletion
   * attestations (start-up and reconnect catch-up). Returns the number of records shredded.
   */
  async reconcile(): Promise<number> {
    let n = 0;
    const ids: Uint8Array[] = [];
    for await (const r of this.deps.store.records()) ids.push(r.slice());
    for (const r of ids) {
      const p = await this.deps.chain.record(r);
      if (p?.erased === true && (await this.shred(r, '', 0)) !== undefined) n++;
    }
    // A failing pass (node unreachable mid-way) must not fail the catch-up: the next pass retries.
    await this.attestPending().catch((err) => this.deps.log.warn({ err: String(err) }, 'attestation check failed'));
    await this.collectUnanchored().catch((err) => this.deps.log.warn({ err: String(err) }, 'blob collection failed'));
    return n;
  }

  /**
   * Walks the stored receipts not yet settled on chain: one the chain shows attested is marked
   * settled (with a warning if the chain's hash is not this receipt's); one whose erased pointer
   * has no `deletionReceipt` gets its attestation (re)submitted, unless this process's last tx for
   * it has not expired yet. At most `limit` submissions per pass, stopping at the first refusal
   * (the next pass retries); one pass at a time. Returns the number of txs submitted.
   */
  attestPending(limit = MAX_ATTESTS_PER_PASS): Promise<number> {
    this.attestRun ??= this.attestPass(limit).finally(() => {
      this.attestRun = undefined;
    });
    return this.attestRun;
  }

  private async attestPass(limit: number): Promise<number> {
    const st = this.deps.store;
    let sent = 0;
    let tried = 0;
    for await (const { record, json } of st.receipts({ unattested: true })) {
      if (tried >= limit) break;
      const receipt = JSON.parse(json) as DeletionReceipt;
      const p = await this.deps.chain.record(record);
      // Not an erasure of one of our records: nothing the chain would accept from us.
      if (p === undefined || !p.erased || !equal(p.custodian, this.deps.custodian.id)) continue;
      if (p.deletionReceipt !== null) {
        this.inFlight.delete(receipt.record);
        if (!equal(p.deletionReceipt, sha256(receiptPayload(receipt))))
          this.deps.log.warn(
            { record: receipt.record, onChain: to0x(p.deletionReceipt) },
            'chain shows a different deletion receipt',
          );
        await st.markAttested(record, p.deletionReceipt);
        continue;
      }
      // The node keeps a tx until its expiry plus a grace and block time lags: wait those out too.
      const until = this.inFlight.get(receipt.record);
      if (until !== undefined && until + RESEND_AFTER_EXPIRY_MS > this.now()) continue;
      tried++;
      if (await this.attest(record, receipt)) sent++;
      else break;
    }
    if (sent > 0) this.deps.log.info({ submitted: sent }, 'deletion attestations re-submitted');
    return sent;
  }
}

/** Verifies a deletion receipt against the custodian's public key. */
export function verifyReceipt(r: DeletionReceipt, chainId: string, custodianPublicKey: Uint8Array): boolean {
  const { signature, ...body } = r;
  const sig = Uint8Array.from(Buffer.from(signature.slice(2), 'hex'));
  return verify(sig, signingMessage(SignPurpose.DELETION_RECEIPT, chainId, receiptPayload(body)), custodianPublicKey);
}
