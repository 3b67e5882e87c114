/**
 * The custodian vault's logic, without HTTP: store ciphertexts and wrapped keys, serve a record
 * only under the disclosure invariant (disclosure.ts: the requester's ACCESS tx for exactly that
 * record is in a final block with status ok, and that block is recent), and shred on erasure.
 *
 * Audit rule: only an authenticated request (auth.ts: signature, freshness, nonce, the signer is a
 * registered identity's current key) has its ACCESS tx submitted; the vault then waits for the
 * chain's verdict and answers with it. Refusals of authenticated requests are kept in the refusal
 * log with their code and tx hash; unauthenticated junk is only counted by code, so it cannot fill
 * the log.
 */

import { decodeTx, type Tx } from '../chain/tx.js';
import { NO_GRANT, type UnwrapKey, unwrapKey, unwrapKeyOf, WRAPPED_BYTES, wrapKey } from '../client/vault/crypto.js';
import {
  type DeletionReceipt,
  VaultError,
  VaultErrorCode,
  type VaultOp,
  type VaultRequest,
} from '../client/vault/protocol.js';
import { equal, to0x } from '../codec/bytes.js';
import { decodeCanonical } from '../codec/cbor.js';
import { sha256 } from '../crypto/hash.js';
import type { AccessBody } from '../tx/bodies.js';
import { decodeBody } from '../tx/bodies.js';
import { PURPOSE_NAMES, TxKind } from '../tx/kinds.js';
import { type Authed, RequestAuth, type Verifier } from './auth.js';
import type { VaultChain } from './chain.js';
import { type Disclosure, judgeDisclosure } from './disclosure.js';
import { Erasure } from './erasure.js';
import type { VaultLogger, VaultOptions } from './options.js';
import { TokenBuckets } from './rate.js';
import type { Refusal, VaultStore, WrapEntry } from './store.js';

export type { VaultLogger } from './options.js';

export interface VaultDeps {
  store: VaultStore;
  chain: VaultChain;
  /** The custodian organization's identity: id and Ed25519 secret key (escrow unwrap, receipts). */
  custodian: { id: Uint8Array; secretKey: Uint8Array; publicKey: Uint8Array };
  log: VaultLogger;
  now?: () => number;
  /** Verifies request signatures off the main thread (a VerifierPool); default: in line. */
  verifier?: Verifier;
}

export interface Served {
  blob: Uint8Array;
  wrapped: Uint8Array;
  grant: Uint8Array;
  emergency: boolean;
  session: Uint8Array | null;
  accessTx: string;
}

export type ServiceOptions = Omit<VaultOptions, 'dir' | 'host' | 'port'>;

const MAX_WRAPS_PER_CALL = 64;
/** Largest body of each op, read only after the header authenticates. */
export const MAX_KEYS_BODY = MAX_WRAPS_PER_CALL * (WRAPPED_BYTES + 100);
export const MAX_OPEN_BODY = 8 * 1024;
/**
 * An ACCESS tx cannot be included in a block later than its expiry; past expiry plus this margin
 * (a block interval and clock disagreement) the vault stops waiting: NOT_FINAL, no data.
 */
const EXPIRY_MARGIN_MS = 2_000;
const ZERO_ID = new Uint8Array(32);

export class VaultService {
  readonly auth: RequestAuth;
  /** Refusals of unauthenticated or rate-limited requests, counted by code (never stored row by row). */
  readonly junk = new Map<string, number>();
  private readonly perIdentity: TokenBuckets;
  /** Upload bytes admitted but not yet stored, per identity (hex) and in total. */
  private readonly reservedBy = new Map<string, number>();
  private reservedTotal = 0;
  private readonly pointers = new Map<string, { patient: Uint8Array; locator: Uint8Array }>();
  private readonly erasure: Erasure;
  private readonly escrow: UnwrapKey;
  private readonly now: () => number;
  /** Persisted nonces loaded: every request waits for it. */
  private readonly ready: Promise<void>;

  constructor(
    readonly opts: ServiceOptions,
    readonly deps: VaultDeps,
  ) {
    this.escrow = unwrapKeyOf(deps.custodian.secretKey);
    this.now = deps.now ?? Date.now;
    this.auth = new RequestAuth(opts, {
      chain: deps.chain,
      store: deps.store,
      vault: deps.custodian.id,
      now: this.now,
      ...(deps.verifier === undefined ? {} : { verifier: deps.verifier }),
    });
    this.perIdentity = new TokenBuckets(opts.ratePerIdentity, this.now);
    deps.store.maxRefusals = opts.maxRefusals;
    this.ready = this.auth.load();
    this.erasure = new Erasure({
      store: deps.store,
      chain: deps.chain,
      custodian: deps.custodian,
      log: deps.log,
      now: this.now,
      unanchoredGraceMs: opts.unanchoredGraceMs,
      onShred: (record) => this.pointers.delete(to0x(record)),
    });
  }

  get custodianId(): Uint8Array {
    return this.deps.custodian.id;
  }

  /** Waits for running shreds and attestation passes (close them before the store). */
  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.erasure.close();
  }

  // ---- requests ----

  /**
   * Authenticates a request header (auth.ts) and charges the identity's request rate. A failure is
   * counted, not logged row by row: the caller is not (yet) anyone.
   */
  async authenticate(header: Uint8Array, op: VaultOp, record: Uint8Array): Promise<Authed> {
    try {
      await this.ready;
      const a = await this.auth.authenticate(header, op, record);
      if (!this.perIdentity.take(to0x(a.req.identity))) throw new VaultError(VaultErrorCode.RATE_LIMITED);
      return a;
    } catch (err) {
      this.countJunk(err);
      throw err;
    }
  }

  countJunk(err: unknown): void {
    const code = err instanceof VaultError ? err.code : 'VAULT_INTERNAL';
    this.junk.set(code, (this.junk.get(code) ?? 0) + 1);
  }

  private async refuse(err: unknown, op: string, record: Uint8Array, identity: Uint8Array, accessTx?: string) {
    if (!(err instanceof VaultError)) return;
    const r: Refusal = {
      time: this.now(),
      op,
      code: err.code,
      record: to0x(record),
      identity: to0x(identity),
      ...(typeof err.meta.reason === 'string' ? { reason: err.meta.reason } : {}),
      ...(accessTx === undefined ? {} : { accessTx }),
    };
    this.deps.log.warn(r, 'vault request refused');
    await this.deps.store.logRefusal(r);
  }

  private authed(h: Uint8Array | Authed, op: VaultOp, record: Uint8Array): Promise<Authed> {
    return h instanceof Uint8Array ? this.authenticate(h, op, record) : Promise.resolve(h);
  }

  // ---- put: store a ciphertext ----

  /** Size and quota checks of an upload of `size` bytes before its body is read (refusals logged). */
  /**
   * Reserves `size` bytes of the identity's quota and of the vault's space until `release` is
   * called (after the put): concurrent uploads cannot all pass the check and overshoot it.
   */
  async admitUpload(
    a: Authed,
    record: Uint8Array,
    size: number,
  ): Promise<Authed & { reserved: number; release(): void }> {
    try {
      this.checkUpload(a, size);
    } catch (err) {
      await this.refuse(err, 'put', record, a.req.identity);
      throw err;
    }
    const id = to0x(a.req.identity);
    this.reservedBy.set(id, (this.reservedBy.get(id) ?? 0) + size);
    this.reservedTotal += size;
    const held = { ...a, reserved: size };
    let done = false;
    return Object.assign(held, {
      release: () => {
        if (done) return;
        done = true;
        this.reservedTotal -= size;
        const left = (this.reservedBy.get(id) ?? 0) - size;
        if (left > 0) this.reservedBy.set(id, left);
        else this.reservedBy.delete(id);
      },
    });
  }

  /** Counts stored and reserved bytes; a put holding a reservation does not count itself twice. */
  private checkUpload(a: Authed & { reserved?: number }, size: number): void {
    if (size > this.opts.maxRecordBytes)
      throw new VaultError(VaultErrorCode.TOO_LARGE, { size, max: this.opts.maxRecordBytes });
    const st = this.deps.store;
    const mine = a.reserved ?? 0;
    if (st.totalBytes + this.reservedTotal - mine + size > this.opts.maxTotalBytes)
      throw new VaultError(VaultErrorCode.TOO_LARGE, { what: 'vault full' });
    const by = st.uploadedBy(a.req.identity) + (this.reservedBy.get(to0x(a.req.identity)) ?? 0) - mine;
    if (by + size > this.opts.maxBytesPerIdentity)
      throw new VaultError(VaultErrorCode.QUOTA_EXCEEDED, { max: this.opts.maxBytesPerIdentity });
  }

  async put(
    h: Uint8Array | (Authed & { reserved?: number }),
    record: Uint8Array,
    blob: Uint8Array,
  ): Promise<{ locator: Uint8Array }> {
    const a = await this.authed(h, 'put', record);
    const { req } = a;
    try {
      this.checkUpload(a, blob.length);
      const locator = sha256(blob);
      if (!equal(locator, req.digest)) throw new VaultError(VaultErrorCode.LOCATOR_MISMATCH);
      const st = this.deps.store;
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
      await this.refuse(err, 'put', record, req.identity);
      throw err;
    }
  }

  // ---- keys: deposit wrapped keys ----

  async putKeys(h: Uint8Array | Authed, record: Uint8Array, body: Uint8Array): Promise<{ stored: number }> {
    const { req } = await this.authed(h, 'keys', record);
    try {
      if (body.length > MAX_KEYS_BODY) throw new VaultError(VaultErrorCode.TOO_LARGE, { size: body.length });
      if (!equal(sha256(body), req.digest)) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'digest' });
      const wraps = parseWraps(body);
      const meta = this.deps.store.getMeta(record);
      if (meta === undefined) throw new VaultError(VaultErrorCode.NOT_FOUND);
      // The record's patient on chain may deposit or replace any key; the uploader may only add
      // keys for grantees that have none (it seeds the owner's and escrow copies): an uploader
      // replacing the escrow or a grantee's copy could break break-glass or a consent.
      const st = this.deps.store;
      const replaces = wraps.some((w) => st.getWrap(record, w.grantee) !== undefined);
      if (replaces || !equal(meta.uploader, req.identity)) {
        const p = await this.deps.chain.record(record);
        if (p === undefined || p.erased || !equal(p.patient, req.identity))
          throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { what: replaces ? 'replace key' : 'deposit key' });
      }
      await this.deps.store.putWraps(record, wraps);
      return { stored: wraps.length };
    } catch (err) {
      await this.refuse(err, 'keys', record, req.identity);
      throw err;
    }
  }

  // ---- open: serve a ciphertext and the requester's wrapped key ----

  /**
   * Serves a record under the disclosure invariant: the (authenticated) requester's ACCESS tx is
   * submitted, the vault waits until it is in a final block (bounded by finalityTimeoutMs and the
   * tx's expiry), and serves only if the chain's receipt grants exactly this record in a block
   * recent against the vault's clock (judgeDisclosure).
   */
  async open(h: Uint8Array | Authed, record: Uint8Array, txBytes: Uint8Array): Promise<Served> {
    const { req } = await this.authed(h, 'open', record);
    let txHash: string | undefined;
    try {
      const tx = this.accessTx(req, txBytes);
      txHash = to0x(tx.hash);
      // One disclosure per ACCESS tx, across restarts too (a new request may carry an old tx).
      const ttl = this.opts.finalityTimeoutMs + this.opts.maxChainLagMs + 2 * this.opts.maxSkewMs;
      if (!(await this.auth.seenOnce(`tx/${txHash}`, ttl, true))) throw new VaultError(VaultErrorCode.REPLAYED);
      const waitMs = Math.min(this.opts.finalityTimeoutMs, tx.expiresAt + EXPIRY_MARGIN_MS - this.now());
      if (waitMs <= 0) throw new VaultError(VaultErrorCode.NOT_FINAL, { reason: 'TX_EXPIRED' });
      try {
        await this.deps.chain.submit(tx.bytes);
      } catch (err) {
        const reason = err instanceof Error && 'reason' in err ? String(err.reason) : 'submit';
        // Already in the mempool or on chain (the requester sent it too): its receipt decides.
        if (reason !== 'TX_DUPLICATE') throw new VaultError(VaultErrorCode.AUDIT_FAILED, { reason });
      }
      const rc = await this.deps.chain.waitFinal(txHash, waitMs);
      if (rc === undefined) {
        const head = await this.deps.chain.head().catch(() => undefined);
        if (head === undefined || this.now() - head.time > this.opts.maxChainLagMs)
          throw new VaultError(VaultErrorCode.CHAIN_STALE, { reason: 'HEAD' });
        throw new VaultError(VaultErrorCode.NOT_FINAL);
      }
      const d = judgeDisclosure(
        rc,
        { grantee: req.identity, patient: req.patient, record, purpose: req.purpose },
        { now: this.now(), maxChainLagMs: this.opts.maxChainLagMs, maxSkewMs: this.opts.maxSkewMs },
      );
      return await this.serve(req, record, d, tx.hash);
    } catch (err) {
      await this.refuse(err, 'open', record, req.identity, txHash);
      throw err;
    }
  }

  /**
   * The requester's ACCESS tx: bound to the request (hash = digest), to its identity, key,
   * patient and purpose, and naming exactly the requested record (disclosure.ts says why).
   */
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
    if (b.records.length !== 1 || !equal(b.records[0] as Uint8Array, req.record)) bad('access tx record');
    if (PURPOSE_NAMES[b.purpose] !== req.purpose) bad('access tx purpose');
    return tx;
  }

  private async serve(req: VaultRequest, record: Uint8Array, d: Disclosure, accessTx: Uint8Array): Promise<Served> {
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
    if (w === undefined || d.emergency) w = this.rewrap(req, record, d.session ?? accessTx);
    if (w === undefined) throw new VaultError(VaultErrorCode.NO_KEY);
    return {
      blob,
      wrapped: w.wrapped,
      grant: w.grant,
      emergency: d.emergency,
      session: d.session,
      accessTx: to0x(accessTx),
    };
  }

  /**
   * A granted requester without a deposited key (break-glass, or a consent by resource type): the
   * custodian's escrow copy is re-wrapped for them, bound to the break-glass session or else to
   * the ACCESS tx that the chain granted.
   */
  private rewrap(req: VaultRequest, record: Uint8Array, grant: Uint8Array): WrapEntry | undefined {
    const esc = this.deps.store.getWrap(record, this.deps.custodian.id);
    if (esc === undefined) return undefined;
    const { key, salt } = unwrapKey(this.escrow, record, NO_GRANT, esc.wrapped);
    const wrapped = wrapKey(req.pubkey, record, grant, key, salt);
    key.fill(0);
    salt.fill(0);
    return { grantee: req.identity, grant, wrapped };
  }

  // ---- the refusal log ----

  /**
   * Refusals newest first, for the custodian organization (a signed `refusals` request) or the
   * operator token; plus the counts of unauthenticated refusals by code.
   */
  async refusals(
    who: { token?: string; header?: Uint8Array },
    limit: number,
    before?: string,
  ): Promise<{ refusals: Refusal[]; next: string | null; unauthenticated: Record<string, number> }> {
    if (!(this.operatorTokenMatches(who.token) || (await this.custodianSigned(who.header))))
      throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { what: 'refusal log' });
    const page = await this.deps.store.refusals(Math.max(1, Math.min(limit, 1_000)), before);
    return { ...page, unauthenticated: Object.fromEntries(this.junk) };
  }

  private operatorTokenMatches(token: string | undefined): boolean {
    const t = this.opts.operatorToken;
    if (t === undefined || t === '' || token === undefined) return false;
    return equal(sha256(new TextEncoder().encode(token)), sha256(new TextEncoder().encode(t)));
  }

  private async custodianSigned(header: Uint8Array | undefined): Promise<boolean> {
    if (header === undefined) return false;
    const { req } = await this.authenticate(header, 'refusals', ZERO_ID);
    return equal(req.identity, this.custodianId);
  }

  // ---- erasure (erasure.ts) ----

  shred(record: Uint8Array, eraseTx: string, height: number): Promise<DeletionReceipt | undefined> {
    return this.erasure.shred(record, eraseTx, height);
  }

  reconcile(): Promise<number> {
    return this.erasure.reconcile();
  }

  attestPending(limit?: number): Promise<number> {
    return this.erasure.attestPending(limit);
  }

  collectUnanchored(limit?: number): Promise<number> {
    return this.erasure.collectUnanchored(limit);
  }

  purgeNonces(): Promise<number> {
    return this.erasure.purgeNonces();
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
