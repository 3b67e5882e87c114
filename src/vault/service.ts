/**
 * The custodian vault's logic, without HTTP: store ciphertexts and wrapped keys, serve a record
 * only for a signed, fresh request that the chain's access rule grants, with the requester's
 * ACCESS tx in the mempool first (no audit, no data), and shred on erasure.
 *
 * Audit rule: every request whose signature checks and whose ACCESS tx is seen for the first time
 * has that tx submitted, whatever the vault decides next, so the chain's accounting of disclosures
 * holds every attempt (granted or denied by the chain's own rule); every refusal is also kept in
 * the vault's refusal log with its code and the tx hash. A replay carries an already-submitted tx:
 * the chain holds the original attempt and the log holds the replay.
 */

import { decodeTx, type Tx } from '../chain/tx.js';
import { TxFactory } from '../client/tx.js';
import { NO_GRANT, type UnwrapKey, unwrapKey, unwrapKeyOf, WRAPPED_BYTES, wrapKey } from '../client/vault/crypto.js';
import {
  type DeletionReceipt,
  decodeRequest,
  receiptPayload,
  VaultError,
  VaultErrorCode,
  type VaultOp,
  type VaultRequest,
} from '../client/vault/protocol.js';
import { equal, to0x } from '../codec/bytes.js';
import { decodeCanonical } from '../codec/cbor.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { sign, verify } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import type { AccessBody } from '../tx/bodies.js';
import { decodeBody } from '../tx/bodies.js';
import { PURPOSE_NAMES, TxKind } from '../tx/kinds.js';
import type { AccessVerdict, VaultChain } from './chain.js';
import type { VaultOptions } from './options.js';
import type { VaultStore, WrapEntry } from './store.js';

export interface VaultLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface VaultDeps {
  store: VaultStore;
  chain: VaultChain;
  /** The custodian organization's identity: id and Ed25519 secret key (escrow unwrap, receipts). */
  custodian: { id: Uint8Array; secretKey: Uint8Array; publicKey: Uint8Array };
  log: VaultLogger;
  now?: () => number;
  /** Verifies request signatures off the main thread (a VerifierPool); default: in line. */
  verifier?: {
    verify(msg: Uint8Array, sig: Uint8Array, pk: Uint8Array, o: { batchable: boolean }): Promise<boolean>;
  };
}

export interface Served {
  blob: Uint8Array;
  wrapped: Uint8Array;
  grant: Uint8Array;
  emergency: boolean;
  session: Uint8Array | null;
  accessTx: string;
}

const MAX_WRAPS_PER_CALL = 64;
/** Deletion attestations (re)submitted per attestPending pass at most. */
const MAX_ATTESTS_PER_PASS = 1_000;
/** A resent attestation waits this long past the previous tx's expiry (mempool grace + a block). */
const RESEND_AFTER_EXPIRY_MS = 60_000;

export class VaultService {
  private readonly nonces = new Map<string, number>();
  private readonly keys = new Map<string, { pk: Uint8Array | undefined; until: number }>();
  private readonly pointers = new Map<string, { patient: Uint8Array; locator: Uint8Array }>();
  /** Records whose ATTEST_DELETION this process submitted, with the tx's expiry (no twin before it). */
  private readonly inFlight = new Map<string, number>();
  private attestRun: Promise<number> | undefined;
  private readonly shredding = new Map<string, Promise<DeletionReceipt | undefined>>();
  private readonly escrow: UnwrapKey;
  private readonly now: () => number;
  /**
   * Nonces are remembered in memory only: a request signed before this service started is
   * refused STALE_REQUEST, so no request can be replayed across a restart.
   */
  private readonly notBefore: number;

  constructor(
    readonly opts: Omit<VaultOptions, 'dir' | 'host' | 'port'>,
    readonly deps: VaultDeps,
  ) {
    this.escrow = unwrapKeyOf(deps.custodian.secretKey);
    this.now = deps.now ?? Date.now;
    this.notBefore = this.now();
  }

  get custodianId(): Uint8Array {
    return this.deps.custodian.id;
  }

  // ---- requests ----

  /** Parses and authenticates a request header (size, decode, vault, op, record, signature). */
  private async authenticate(header: Uint8Array, op: VaultOp, record: Uint8Array): Promise<{ req: VaultRequest }> {
    const { req, payload, sig } = decodeRequest(header);
    if (req.op !== op) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'op' });
    if (!equal(req.vault, this.deps.custodian.id)) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'vault' });
    if (!equal(req.record, record)) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'record' });
    // Signature last among the stateless checks.
    const msg = signingMessage(SignPurpose.VAULT_REQUEST, this.deps.chain.chainId, payload);
    const v = this.deps.verifier;
    if (!(v === undefined ? verify(sig, msg, req.pubkey) : await v.verify(msg, sig, req.pubkey, { batchable: true })))
      throw new VaultError(VaultErrorCode.BAD_SIGNATURE);
    return { req };
  }

  private fresh(req: VaultRequest): void {
    if (Math.abs(this.now() - req.time) > this.opts.maxSkewMs)
      throw new VaultError(VaultErrorCode.STALE_REQUEST, { skewMs: this.now() - req.time });
    if (req.time < this.notBefore)
      throw new VaultError(VaultErrorCode.STALE_REQUEST, { what: 'signed before restart' });
  }

  /** Marks (identity, nonce) used; false if it was already. */
  private firstSight(id: string): boolean {
    const now = this.now();
    const seen = this.nonces.get(id);
    if (seen !== undefined && seen > now) return false;
    if (this.nonces.size >= this.opts.maxNonces) {
      for (const [k, until] of this.nonces) if (until <= now) this.nonces.delete(k);
      // Still full of live nonces: refuse rather than forget one (a forgotten nonce could be replayed).
      if (this.nonces.size >= this.opts.maxNonces) throw new VaultError(VaultErrorCode.UNAVAILABLE, { what: 'nonces' });
    }
    this.nonces.set(id, now + 2 * this.opts.maxSkewMs + 1);
    return true;
  }

  private async currentKey(id: Uint8Array): Promise<Uint8Array | undefined> {
    const k = to0x(id);
    const hit = this.keys.get(k);
    const now = this.now();
    if (hit !== undefined && hit.until > now) return hit.pk;
    const pk = await this.deps.chain.identityKey(id);
    if (this.keys.size >= 100_000) this.keys.clear();
    this.keys.set(k, { pk, until: now + this.opts.keyCacheMs });
    return pk;
  }

  private async requireIdentity(req: VaultRequest): Promise<void> {
    const pk = await this.currentKey(req.identity);
    if (pk === undefined || !equal(pk, req.pubkey)) throw new VaultError(VaultErrorCode.KEY_MISMATCH);
  }

  private async refuse(err: unknown, op: string, record: Uint8Array, identity: Uint8Array | null, accessTx?: string) {
    if (!(err instanceof VaultError)) return;
    const r = {
      time: this.now(),
      op,
      code: err.code,
      record: to0x(record),
      identity: identity === null ? '' : to0x(identity),
      ...(typeof err.meta.reason === 'string' ? { reason: err.meta.reason } : {}),
      ...(accessTx === undefined ? {} : { accessTx }),
    };
    this.deps.log.warn(r, 'vault request refused');
    await this.deps.store.logRefusal(r);
  }

  // ---- put: store a ciphertext ----

  async put(header: Uint8Array, record: Uint8Array, blob: Uint8Array): Promise<{ locator: Uint8Array }> {
    let who: Uint8Array | null = null;
    try {
      if (blob.length > this.opts.maxRecordBytes)
        throw new VaultError(VaultErrorCode.TOO_LARGE, { size: blob.length, max: this.opts.maxRecordBytes });
      const { req } = await this.authenticate(header, 'put', record);
      who = req.identity;
      this.fresh(req);
      if (!this.firstSight(`${to0x(req.identity)}/${to0x(req.nonce)}`)) throw new VaultError(VaultErrorCode.REPLAYED);
      const locator = sha256(blob);
      if (!equal(locator, req.digest)) throw new VaultError(VaultErrorCode.LOCATOR_MISMATCH);
      await this.requireIdentity(req);
      const st = this.deps.store;
      if (st.totalBytes + blob.length > this.opts.maxTotalBytes)
        throw new VaultError(VaultErrorCode.TOO_LARGE, { what: 'vault full' });
      const old = st.getMeta(record);
      if (old !== undefined) {
        if (equal(old.locator, locator) && equal(old.uploader, req.identity)) return { locator };
        throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { what: 'record exists' });
      }
      if ((await st.getReceipt(record)) !== undefined)
        throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { what: 'record erased' });
      await st.putRecord(
        record,
        { patient: req.patient, locator, uploader: req.identity, size: blob.length, storedAt: this.now() },
        blob,
      );
      return { locator };
    } catch (err) {
      await this.refuse(err, 'put', record, who);
      throw err;
    }
  }

  // ---- keys: deposit wrapped keys ----

  async putKeys(header: Uint8Array, record: Uint8Array, body: Uint8Array): Promise<{ stored: number }> {
    let who: Uint8Array | null = null;
    try {
      if (body.length > MAX_WRAPS_PER_CALL * (WRAPPED_BYTES + 100))
        throw new VaultError(VaultErrorCode.TOO_LARGE, { size: body.length });
      const { req } = await this.authenticate(header, 'keys', record);
      who = req.identity;
      this.fresh(req);
      if (!this.firstSight(`${to0x(req.identity)}/${to0x(req.nonce)}`)) throw new VaultError(VaultErrorCode.REPLAYED);
      if (!equal(sha256(body), req.digest)) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'digest' });
      await this.requireIdentity(req);
      const wraps = parseWraps(body);
      const meta = this.deps.store.getMeta(record);
      if (meta === undefined) throw new VaultError(VaultErrorCode.NOT_FOUND);
      // The uploader, or the record's patient on chain, may deposit keys.
      let allowed = equal(meta.uploader, req.identity);
      if (!allowed) {
        const p = await this.deps.chain.record(record);
        allowed = p !== undefined && !p.erased && equal(p.patient, req.identity);
      }
      if (!allowed) throw new VaultError(VaultErrorCode.NOT_AUTHORIZED);
      await this.deps.store.putWraps(record, wraps);
      return { stored: wraps.length };
    } catch (err) {
      await this.refuse(err, 'keys', record, who);
      throw err;
    }
  }

  // ---- open: serve a ciphertext and the requester's wrapped key ----

  async open(header: Uint8Array, record: Uint8Array, txBytes: Uint8Array): Promise<Served> {
    let who: Uint8Array | null = null;
    let txHash: string | undefined;
    try {
      const { req } = await this.authenticate(header, 'open', record);
      who = req.identity;
      const tx = this.accessTx(req, txBytes);
      txHash = to0x(tx.hash);
      // A replay (same nonce or same tx) is refused; its tx is already on chain from its first sight.
      const n1 = this.firstSight(`${to0x(req.identity)}/${to0x(req.nonce)}`);
      const n2 = n1 && this.firstSight(`tx/${txHash}`);
      if (!n1 || !n2) throw new VaultError(VaultErrorCode.REPLAYED);
      try {
        this.fresh(req);
      } catch (err) {
        // Still put the attempt on chain when its tx is includable (best effort).
        await this.deps.chain.submit(tx.bytes).catch(() => undefined);
        throw err;
      }
      // Audit first: no tx in the mempool, no data.
      try {
        await this.deps.chain.submit(tx.bytes);
      } catch (err) {
        throw new VaultError(VaultErrorCode.AUDIT_FAILED, {
          reason: err instanceof Error && 'reason' in err ? String(err.reason) : 'submit',
        });
      }
      await this.requireIdentity(req);
      const v = await this.deps.chain.checkAccess(req.identity, record, req.purpose);
      if (!v.granted) throw new VaultError(VaultErrorCode.DENIED, { reason: v.code ?? 'DENIED' });
      if (v.patient === null || !equal(v.patient, req.patient))
        throw new VaultError(VaultErrorCode.DENIED, { reason: 'UNKNOWN_RECORD' });
      return await this.serve(req, record, v, txHash);
    } catch (err) {
      await this.refuse(err, 'open', record, who, txHash);
      throw err;
    }
  }

  /** The requester's ACCESS tx: bound to the request (hash = digest), to its identity, record, patient and purpose. */
  private accessTx(req: VaultRequest, bytes: Uint8Array): Tx {
    const bad = (what: string): never => {
      throw new VaultError(VaultErrorCode.BAD_REQUEST, { what });
    };
    let tx: Tx;
    try {
      tx = decodeTx(bytes);
    } catch {
      return bad('access tx');
    }
    if (tx.kind !== TxKind.ACCESS || tx.chainId !== this.deps.chain.chainId) bad('access tx kind');
    if (!equal(tx.hash, req.digest)) bad('access tx digest');
    if (!equal(tx.signer, req.identity) || !equal(tx.pubkey, req.pubkey)) bad('access tx signer');
    const b = decodeBody(tx) as AccessBody;
    if (!equal(b.patient, req.patient)) bad('access tx patient');
    if (!b.records.some((r) => equal(r, req.record))) bad('access tx record');
    if (PURPOSE_NAMES[b.purpose] !== req.purpose) bad('access tx purpose');
    return tx;
  }

  private async serve(req: VaultRequest, record: Uint8Array, v: AccessVerdict, accessTx: string): Promise<Served> {
    const st = this.deps.store;
    const meta = st.getMeta(record);
    if (meta === undefined) throw new VaultError(VaultErrorCode.NOT_FOUND);
    // Serve only what the chain anchored: the pointer's locator names this blob.
    const pk = to0x(record);
    let ptr = this.pointers.get(pk);
    if (ptr === undefined) {
      const p = await this.deps.chain.record(record);
      if (p === undefined || p.locator === null) throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'pointer' });
      ptr = { patient: p.patient, locator: p.locator };
      if (this.pointers.size >= 100_000) this.pointers.clear();
      this.pointers.set(pk, ptr);
    }
    if (!equal(ptr.locator, meta.locator) || !equal(ptr.patient, meta.patient))
      throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'pointer' });
    const blob = await st.getBlob(meta.locator, meta.size);
    if (blob === undefined) throw new VaultError(VaultErrorCode.NOT_FOUND);
    let w: WrapEntry | undefined = st.getWrap(record, req.identity);
    if (w === undefined || v.emergency) w = await this.rewrap(req, record, v);
    if (w === undefined) throw new VaultError(VaultErrorCode.NO_KEY);
    return { blob, wrapped: w.wrapped, grant: w.grant, emergency: v.emergency, session: v.session, accessTx };
  }

  /**
   * A granted requester without a deposited key (break-glass, or a consent by resource type): the
   * custodian's escrow copy is re-wrapped for them, bound to the session or consent id.
   */
  private async rewrap(req: VaultRequest, record: Uint8Array, v: AccessVerdict): Promise<WrapEntry | undefined> {
    const esc = this.deps.store.getWrap(record, this.deps.custodian.id);
    if (esc === undefined) return undefined;
    const { key, salt } = unwrapKey(this.escrow, record, NO_GRANT, esc.wrapped);
    const grant = v.session ?? v.consent ?? NO_GRANT;
    const wrapped = wrapKey(req.pubkey, record, grant, key, salt);
    key.fill(0);
    salt.fill(0);
    return { grantee: req.identity, grant, wrapped };
  }

  // ---- erasure ----

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
    const gone = await st.shred(record);
    this.pointers.delete(to0x(record));
    if (gone === undefined) return undefined;
    const body = {
      record: to0x(record),
      custodian: to0x(this.deps.custodian.id),
      locator: to0x(gone.meta.locator),
      eraseTx,
      height,
      keys: gone.keys,
      deletedAt: this.now(),
    };
    const sig = sign(
      signingMessage(SignPurpose.DELETION_RECEIPT, this.deps.chain.chainId, receiptPayload(body)),
      this.deps.custodian.secretKey,
    );
    const receipt: DeletionReceipt = { ...body, signature: to0x(sig) };
    await st.putReceipt(record, JSON.stringify(receipt));
    this.deps.log.info({ record: body.record, eraseTx, height, keys: gone.keys }, 'record shredded');
    await this.attest(record, receipt);
    return receipt;
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
      if (p === undefined || !p.erased || !equal(p.custodian, this.custodianId)) continue;
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

  receipt(record: Uint8Array): Promise<string | undefined> {
    return this.deps.store.getReceipt(record);
  }
}

export function parseWraps(body: Uint8Array): WrapEntry[] {
  let t: unknown;
  try {
    // Canonical only, like every other decoder of untrusted bytes.
    t = decodeCanonical(body, MAX_WRAPS_PER_CALL * (WRAPPED_BYTES + 100));
  } catch {
    throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'keys encoding' });
  }
  if (!Array.isArray(t) || t.length === 0 || t.length > MAX_WRAPS_PER_CALL)
    throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'keys shape' });
  return t.map((e: unknown) => {
    const [grantee, grant, wrapped] = (Array.isArray(e) && e.length === 3 ? e : []) as unknown[];
    if (
      !(grantee instanceof Uint8Array && grantee.length === 32) ||
      !(grant instanceof Uint8Array && grant.length === 32) ||
      !(wrapped instanceof Uint8Array && wrapped.length === WRAPPED_BYTES)
    )
      throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'keys entry' });
    return { grantee, grant, wrapped };
  });
}

/** Verifies a deletion receipt against the custodian's public key. */
export function verifyReceipt(r: DeletionReceipt, chainId: string, custodianPublicKey: Uint8Array): boolean {
  const { signature, ...body } = r;
  const sig = Uint8Array.from(Buffer.from(signature.slice(2), 'hex'));
  return verify(sig, signingMessage(SignPurpose.DELETION_RECEIPT, chainId, receiptPayload(body)), custodianPublicKey);
}
