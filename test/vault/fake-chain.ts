/**
 * A chain for vault tests, driven by the test's clock: identities, pointers, consents (grant,
 * revoke, validity in block time), erasure and break-glass sessions, a mempool, and final blocks
 * produced on demand. It decides ACCESS the way state/domain/access-tx.ts does (one `access` event,
 * all-or-nothing over the named records) and never includes a tx past its expiry. A test can stall
 * it (no blocks), make the node lag (blocks seen `lagMs` late) or produce blocks itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTx, type Tx } from '../../src/chain/tx.js';
import { type Account, generateAccount, TxFactory } from '../../src/client/tx.js';
import { NO_GRANT, sealRecord, wrapKey } from '../../src/client/vault/crypto.js';
import { encodeRequestHeader, encodeRequestPayload, type VaultOp } from '../../src/client/vault/protocol.js';
import { concat, to0x } from '../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { sign } from '../../src/crypto/ed25519.js';
import { sha256 } from '../../src/crypto/hash.js';
import { type AccessBody, decodeBody } from '../../src/tx/bodies.js';
import { PURPOSE_NAMES, TxKind } from '../../src/tx/kinds.js';
import type { FinalReceipt, IdentityView, PointerView } from '../../src/vault/chain.js';
import { defaultVaultOptions, type VaultOptions } from '../../src/vault/options.js';
import { VaultService } from '../../src/vault/service.js';
import { VaultStore } from '../../src/vault/store.js';

export const CHAIN = 'medchain-fake';
export const T0 = 1_800_000_000_000;

export interface Consent {
  patient: string;
  grantee: string;
  record: string;
  purpose: string;
  grantedAt: number;
  expiresAt: number;
  revokedAt?: number;
}

export class FakeChain {
  readonly chainId = CHAIN;
  height = 0;
  headTime: number;
  /** No blocks are produced. */
  stalled = false;
  /** The node sees blocks this late: their time is this much older than the clock. */
  lagMs = 0;
  /** How far in the past a tx's expiry may be for the mempool to take it (mempool skew). */
  mempoolSkewMs = 5_000;
  readonly identities = new Map<string, Uint8Array>();
  readonly pointers = new Map<string, PointerView & { erasedAt?: number }>();
  readonly consents: Consent[] = [];
  readonly sessions = new Map<string, { id: Uint8Array; openedAt: number; until: number }>();
  readonly mempool = new Map<string, Tx>();
  readonly receipts = new Map<string, FinalReceipt>();
  submits = 0;

  constructor(readonly clock: { now: number }) {
    this.headTime = clock.now;
  }

  register(a: Account): void {
    this.identities.set(to0x(a.id), a.publicKey);
  }

  readonly suspended = new Set<string>();

  async identity(id: Uint8Array): Promise<IdentityView | undefined> {
    const pubkey = this.identities.get(to0x(id));
    return pubkey === undefined ? undefined : { pubkey, suspended: this.suspended.has(to0x(id)) };
  }

  async record(id: Uint8Array): Promise<PointerView | undefined> {
    return this.pointers.get(to0x(id));
  }

  async submit(bytes: Uint8Array): Promise<string> {
    const tx = decodeTx(bytes);
    const h = to0x(tx.hash);
    if (tx.expiresAt < this.clock.now - this.mempoolSkewMs)
      throw Object.assign(new Error('expired'), { reason: 'TX_EXPIRED' });
    if (this.mempool.has(h) || this.receipts.has(h))
      throw Object.assign(new Error('duplicate'), { reason: 'TX_DUPLICATE' });
    this.submits++;
    this.mempool.set(h, tx);
    return h;
  }

  /** One final block at the clock's time (minus the lag), with every includable mempool tx. */
  produce(): void {
    if (this.stalled) return;
    const time = Math.max(this.headTime + 1, this.clock.now - this.lagMs);
    this.height++;
    this.headTime = time;
    for (const [h, tx] of this.mempool) {
      this.mempool.delete(h);
      if (tx.expiresAt < time) continue; // never included: expired
      this.receipts.set(h, { txHash: h, height: this.height, time, ...this.execute(tx, time) });
    }
  }

  /** Produces a block if the tx is pending; a stalled chain "waits" out the timeout on the clock. */
  async waitFinal(txHash: string, timeoutMs: number): Promise<FinalReceipt | undefined> {
    if (!this.receipts.has(txHash) && this.mempool.has(txHash)) this.produce();
    const r = this.receipts.get(txHash);
    if (r === undefined) this.clock.now += timeoutMs;
    return r;
  }

  async head(): Promise<{ height: number; time: number }> {
    return { height: this.height, time: this.headTime };
  }

  /** Whether a consent, an owner or a live session covers (grantee, record, purpose) at block time t. */
  covers(grantee: string, record: string, purpose: string, t: number): { ok: boolean; session?: Uint8Array } {
    const p = this.pointers.get(record);
    if (p === undefined) return { ok: false };
    if (p.erasedAt !== undefined && p.erasedAt <= t) return { ok: false };
    const patient = to0x(p.patient);
    if (patient === grantee) return { ok: true };
    const c = this.consents.some(
      (c) =>
        c.patient === patient &&
        c.grantee === grantee &&
        c.record === record &&
        c.purpose === purpose &&
        c.grantedAt <= t &&
        t < c.expiresAt &&
        (c.revokedAt === undefined || t < c.revokedAt),
    );
    if (c) return { ok: true };
    const s = this.sessions.get(`${grantee}/${patient}`);
    if ((purpose === 'ETREAT' || purpose === 'BTG') && s !== undefined && s.openedAt <= t && t < s.until)
      return { ok: true, session: s.id };
    return { ok: false };
  }

  private execute(tx: Tx, time: number): Pick<FinalReceipt, 'status' | 'code' | 'events'> {
    if (tx.kind !== TxKind.ACCESS) return { status: 'ok', code: '', events: [] };
    const pk = this.identities.get(to0x(tx.signer));
    if (pk === undefined) return { status: 'failed', code: 'UNKNOWN_IDENTITY', events: [] };
    if (to0x(pk) !== to0x(tx.pubkey)) return { status: 'failed', code: 'KEY_MISMATCH', events: [] };
    const b = decodeBody(tx) as AccessBody;
    const purpose = PURPOSE_NAMES[b.purpose] as string;
    let code = '';
    let session: Uint8Array | undefined;
    for (const r of b.records) {
      const p = this.pointers.get(to0x(r));
      if (p === undefined || to0x(p.patient) !== to0x(b.patient)) code = 'UNKNOWN_RECORD';
      else if (p.erasedAt !== undefined && p.erasedAt <= time) code = 'ERASED';
      else {
        const c = this.covers(to0x(tx.signer), to0x(r), purpose, time);
        if (!c.ok) code = 'NO_CONSENT';
        session ??= c.session;
      }
      if (code !== '') break;
    }
    const granted = code === '';
    const attrs: Record<string, string | boolean> = {
      patient: to0x(b.patient),
      grantee: to0x(tx.signer),
      records: to0x(concat(...b.records)),
      purpose,
      granted,
      emergency: granted && session !== undefined,
    };
    if (!granted) attrs.code = code;
    else if (session !== undefined) attrs.session = to0x(session);
    return { status: granted ? 'ok' : 'denied', code, events: [{ type: 'access', attrs }] };
  }
}

export function signedHeader(
  a: Account,
  vault: Uint8Array,
  op: VaultOp,
  record: Uint8Array,
  patient: Uint8Array,
  digest: Uint8Array,
  purpose: string,
  time: number,
  nonce: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): Uint8Array {
  const payload = encodeRequestPayload({
    op,
    vault,
    identity: a.id,
    pubkey: a.publicKey,
    record,
    patient,
    purpose,
    time,
    nonce,
    digest,
  });
  return encodeRequestHeader(payload, sign(signingMessage(SignPurpose.VAULT_REQUEST, CHAIN, payload), a.secretKey));
}

/** A vault over a FakeChain and a temporary store, with one patient, an org and helpers. */
export class VaultFixture {
  readonly clock = { now: T0 };
  readonly chain = new FakeChain(this.clock);
  readonly org = generateAccount();
  readonly patient = generateAccount();
  readonly warnings: object[] = [];
  service!: VaultService;
  store!: VaultStore;
  dir = '';

  static async create(o: Partial<VaultOptions> = {}): Promise<VaultFixture> {
    const f = new VaultFixture();
    f.dir = mkdtempSync(join(tmpdir(), 'medchain-vfake-'));
    f.store = await VaultStore.open(f.dir);
    f.chain.register(f.org);
    f.chain.register(f.patient);
    f.service = f.newService(o);
    return f;
  }

  newService(o: Partial<VaultOptions> = {}): VaultService {
    return new VaultService(
      { ...defaultVaultOptions, verifyWorkers: 0, ...o },
      {
        store: this.store,
        chain: this.chain,
        custodian: { id: this.org.id, secretKey: this.org.secretKey, publicKey: this.org.publicKey },
        log: { info: () => {}, warn: (obj) => this.warnings.push(obj) },
        now: () => this.clock.now,
      },
    );
  }

  async close(): Promise<void> {
    await this.service.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The patient stores a record (blob + owner and escrow keys) and anchors its pointer. */
  async storeRecord(plaintext: Uint8Array): Promise<{ record: Uint8Array; blob: Uint8Array; key: Uint8Array }> {
    const record = crypto.getRandomValues(new Uint8Array(32));
    const s = sealRecord(record, plaintext);
    const p = this.patient;
    const now = this.clock.now;
    await this.service.put(signedHeader(p, this.org.id, 'put', record, p.id, s.locator, '', now), record, s.blob);
    const wraps = [
      [p.id, NO_GRANT, wrapKey(p.publicKey, record, NO_GRANT, s.key, s.salt)],
      [this.org.id, NO_GRANT, wrapKey(this.org.publicKey, record, NO_GRANT, s.key, s.salt)],
    ];
    const { encode } = await import('cborg');
    const body = encode(wraps);
    await this.service.putKeys(signedHeader(p, this.org.id, 'keys', record, p.id, sha256(body), '', now), record, body);
    this.chain.pointers.set(to0x(record), {
      patient: p.id,
      custodian: this.org.id,
      locator: s.locator,
      erased: false,
      deletionReceipt: null,
    });
    return { record, blob: s.blob, key: s.key };
  }

  grant(grantee: Account, record: Uint8Array, purpose: string, ms: number): Consent {
    const c: Consent = {
      patient: to0x(this.patient.id),
      grantee: to0x(grantee.id),
      record: to0x(record),
      purpose,
      grantedAt: this.clock.now,
      expiresAt: this.clock.now + ms,
    };
    this.chain.consents.push(c);
    return c;
  }

  /** An open request by `a` for `records[0]` whose ACCESS tx names `records`. */
  openRequest(
    a: Account,
    records: Uint8Array[],
    purpose: 'TREAT' | 'ETREAT',
    o: { lifetimeMs?: number; time?: number } = {},
  ): { header: Uint8Array; body: Uint8Array; tx: Tx } {
    const tf = new TxFactory({
      chainId: CHAIN,
      account: a,
      now: () => this.clock.now,
      lifetimeMs: o.lifetimeMs ?? 60_000,
    });
    const tx = tf.access({ patient: this.patient.id, records, purpose });
    const record = records[0] as Uint8Array;
    const header = signedHeader(
      a,
      this.org.id,
      'open',
      record,
      this.patient.id,
      tx.hash,
      purpose,
      o.time ?? this.clock.now,
    );
    return { header, body: tx.bytes, tx };
  }
}
