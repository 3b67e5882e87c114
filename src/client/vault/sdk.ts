/**
 * One call each to store, share, open and erase an off-chain record (client side of the vault).
 *   store: seal (fresh data key) → upload the blob and wrapped keys (owner, custodian escrow) → ADD_RECORD
 *   share: GRANT_CONSENT → wrap the data key for the grantee bound to the consent id → deposit it
 *   open:  signed fresh request + the requester's ACCESS tx → blob + wrapped key → unwrap → check
 *          the on-chain commitment → decrypt
 *   erase: ERASE_RECORD; the vault shreds once it is final and publishes a signed receipt
 */
import * as ed from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { encode } from 'cborg';
import { SignPurpose, signingMessage } from '../../crypto/domain.js';
import type { ResourceType } from '../../tx/kinds.js';
import type { MedchainClient } from '../client.js';
import { hex, unhex } from '../hex.js';
import { type Account, newRecordId, type PurposeName, TxFactory } from '../tx.js';
import { NO_GRANT, openRecord, sealRecord, type UnwrapKey, unwrapKey, unwrapKeyOf, wrapKey } from './crypto.js';
import {
  type DeletionReceipt,
  encodeRequestHeader,
  encodeRequestPayload,
  REQUEST_HEADER,
  REQUEST_NONCE_BYTES,
  VaultError,
  VaultErrorCode,
  type VaultOp,
} from './protocol.js';

export interface RecordVaultOptions {
  client: MedchainClient;
  chainId: string;
  account: Account;
  /** Base URL of the custodian's vault (http://host:port). */
  vaultUrl: string;
  fetch?: typeof fetch;
  /** Clock of signed requests (ms). */
  now?: () => number;
}

export interface StoredRecord {
  record: Uint8Array;
  locator: Uint8Array;
  commitment: Uint8Array;
  /** The ADD_RECORD tx hash. */
  tx: string;
}

export interface Opened {
  plaintext: Uint8Array;
  emergency: boolean;
  session: string | null;
  /** The ACCESS tx that recorded this disclosure on chain. */
  accessTx: string;
}

const ZERO = new Uint8Array(32);

export class RecordVault {
  readonly tx: TxFactory;
  private custodian: { id: Uint8Array; publicKey: Uint8Array } | undefined;
  private readonly me: UnwrapKey;
  /** Data keys this client sealed or opened in this session (never persisted). */
  private readonly keys = new Map<string, { key: Uint8Array; salt: Uint8Array }>();
  private readonly f: typeof fetch;
  private readonly now: () => number;

  constructor(readonly o: RecordVaultOptions) {
    this.tx = new TxFactory({ chainId: o.chainId, account: o.account });
    this.me = unwrapKeyOf(o.account.secretKey);
    // Called as the global's method: a browser's fetch kept unbound throws "Illegal invocation".
    this.f = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = o.now ?? Date.now;
  }

  /** The vault's custodian organization (its id from the vault, its key from the chain). */
  async custodianInfo(): Promise<{ id: Uint8Array; publicKey: Uint8Array }> {
    if (this.custodian === undefined) {
      const h = (await (await this.f(`${this.o.vaultUrl}/v1/health`)).json()) as { custodian: string };
      const id = unhex(h.custodian);
      const r = await this.o.client.call('identity_get', { id: h.custodian });
      if (r.identity === null) throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'custodian' });
      this.custodian = { id, publicKey: unhex(r.identity.pubkey) };
    }
    return this.custodian;
  }

  /** A signed request header for `op`. */
  async requestHeader(
    op: VaultOp,
    record: Uint8Array,
    patient: Uint8Array,
    digest: Uint8Array,
    purpose = '',
    time: number = this.now(),
    nonce: Uint8Array = randomBytes(REQUEST_NONCE_BYTES),
  ): Promise<string> {
    const a = this.o.account;
    const payload = encodeRequestPayload({
      op,
      vault: (await this.custodianInfo()).id,
      identity: a.id,
      pubkey: a.publicKey,
      record,
      patient,
      purpose,
      time,
      nonce,
      digest,
    });
    const sig = ed.sign(signingMessage(SignPurpose.VAULT_REQUEST, this.o.chainId, payload), a.secretKey);
    return hex(encodeRequestHeader(payload, sig));
  }

  private async call(method: string, path: string, header: string, body: Uint8Array): Promise<Response> {
    let res: Response;
    try {
      res = await this.f(`${this.o.vaultUrl}${path}`, {
        method,
        headers: { [REQUEST_HEADER]: header, 'content-type': 'application/octet-stream' },
        body: body as BodyInit,
      });
    } catch {
      throw new VaultError(VaultErrorCode.UNAVAILABLE);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  /** Encrypts, uploads, deposits the owner's and (by default) the custodian's key copy, anchors the pointer. */
  async store(
    plaintext: Uint8Array,
    r: {
      resourceType: ResourceType;
      patient?: Uint8Array;
      record?: Uint8Array;
      purpose?: PurposeName;
      escrow?: boolean;
    },
  ): Promise<StoredRecord> {
    const record = r.record ?? newRecordId();
    const patient = r.patient ?? this.o.account.id;
    const sealed = sealRecord(record, plaintext);
    const c = await this.custodianInfo();
    await this.call(
      'PUT',
      `/v1/records/${hex(record)}`,
      await this.requestHeader('put', record, patient, sealed.locator),
      sealed.blob,
    );
    const wraps: Uint8Array[][] = [
      [this.o.account.id, NO_GRANT, wrapKey(this.o.account.publicKey, record, NO_GRANT, sealed.key, sealed.salt)],
    ];
    if (r.escrow !== false)
      wraps.push([c.id, NO_GRANT, wrapKey(c.publicKey, record, NO_GRANT, sealed.key, sealed.salt)]);
    await this.putKeys(record, patient, wraps);
    const tx = this.tx.addRecord({
      record,
      patient,
      resourceType: r.resourceType,
      commitment: sealed.commitment,
      locator: sealed.locator,
      custodian: c.id,
      ...(r.purpose === undefined ? {} : { purpose: r.purpose }),
    });
    const rc = await this.o.client.send(tx);
    if (rc.status !== 'ok') throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { reason: rc.code ?? rc.status });
    this.keys.set(hex(record), { key: sealed.key, salt: sealed.salt });
    return { record, locator: sealed.locator, commitment: sealed.commitment, tx: hex(tx.hash) };
  }

  private async putKeys(record: Uint8Array, patient: Uint8Array, wraps: Uint8Array[][]): Promise<void> {
    const body = encode(wraps);
    await this.call(
      'PUT',
      `/v1/records/${hex(record)}/keys`,
      await this.requestHeader('keys', record, patient, sha256(body)),
      body,
    );
  }

  /**
   * Grants `grantee` a consent on the records and deposits their wrapped keys (bound to the consent
   * id). Returns the consent id.
   */
  async share(
    records: Uint8Array[],
    grantee: Uint8Array,
    c: { purposes: PurposeName[]; hours?: number; expiresAt?: number; notBefore?: number },
  ): Promise<string> {
    const g = await this.o.client.call('identity_get', { id: hex(grantee) });
    if (g.identity === null) throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'grantee' });
    const granteeKey = unhex(g.identity.pubkey);
    const grant = this.tx.grantConsent({ grantee, records, ...c });
    const rc = await this.o.client.send(grant);
    if (rc.status !== 'ok') throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { reason: rc.code ?? rc.status });
    for (const record of records) {
      const k = await this.dataKey(record);
      await this.putKeys(record, this.o.account.id, [
        [grantee, grant.hash, wrapKey(granteeKey, record, grant.hash, k.key, k.salt)],
      ]);
    }
    return hex(grant.hash);
  }

  /** The data key of a record: from this session, else by opening it as its owner. */
  private async dataKey(record: Uint8Array): Promise<{ key: Uint8Array; salt: Uint8Array }> {
    const hit = this.keys.get(hex(record));
    if (hit !== undefined) return hit;
    await this.open(record, 'TREAT');
    const k = this.keys.get(hex(record));
    if (k === undefined) throw new VaultError(VaultErrorCode.NO_KEY);
    return k;
  }

  /** Opens a record as this account (grantee, owner, or under a break-glass session with ETREAT/BTG). */
  async open(record: Uint8Array, purpose: PurposeName, o: { time?: number; nonce?: Uint8Array } = {}): Promise<Opened> {
    const p = (await this.o.client.call('record_get', { record: hex(record) })).record;
    // An unknown or erased pointer still goes to the vault: the attempt is audited and refused there.
    const patient = p === null ? ZERO : unhex(p.patient);
    const req = await this.buildOpen(record, patient, purpose, o.time, o.nonce);
    return this.send(record, req, p?.commitment ?? null);
  }

  /** A signed open request (header + ACCESS tx) without sending it: for replay tests and batching. */
  async buildOpen(
    record: Uint8Array,
    patient: Uint8Array,
    purpose: PurposeName,
    time?: number,
    nonce?: Uint8Array,
  ): Promise<{ header: string; body: Uint8Array }> {
    const access = this.tx.access({ patient, records: [record], purpose });
    const header = await this.requestHeader('open', record, patient, access.hash, purpose, time, nonce);
    return { header, body: access.bytes };
  }

  /** Sends a built open request and decrypts the answer against the on-chain commitment. */
  async send(
    record: Uint8Array,
    req: { header: string; body: Uint8Array },
    commitment: string | null,
  ): Promise<Opened> {
    const res = await this.call('POST', `/v1/records/${hex(record)}/open`, req.header, req.body);
    const blob = new Uint8Array(await res.arrayBuffer());
    const wrapped = unhex(res.headers.get('x-medchain-wrapped') ?? '');
    const grant = unhex(res.headers.get('x-medchain-grant') ?? '');
    const { key, salt } = unwrapKey(this.me, record, grant, wrapped);
    if (commitment === null) throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'pointer' });
    const plaintext = openRecord(record, blob, key, salt, unhex(commitment));
    this.keys.set(hex(record), { key, salt });
    const session = res.headers.get('x-medchain-session');
    return {
      plaintext,
      emergency: res.headers.get('x-medchain-emergency') === '1',
      session: session === null || session === '' ? null : session,
      accessTx: res.headers.get('x-medchain-access-tx') ?? '',
    };
  }

  /** Opens a break-glass session for a patient (this account: a practitioner with emergency privileges). */
  async breakGlass(patient: Uint8Array, reason: 'ETREAT' | 'BTG' = 'ETREAT'): Promise<string> {
    const tx = this.tx.breakGlass(patient, reason);
    const rc = await this.o.client.send(tx);
    if (rc.status !== 'ok') throw new VaultError(VaultErrorCode.DENIED, { reason: rc.code ?? rc.status });
    return hex(tx.hash);
  }

  /** Erases a record (ERASE_RECORD); returns the tx hash. The vault shreds once it is final. */
  async erase(record: Uint8Array): Promise<string> {
    const tx = this.tx.eraseRecord(record);
    const rc = await this.o.client.send(tx);
    if (rc.status !== 'ok') throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { reason: rc.code ?? rc.status });
    this.keys.delete(hex(record));
    return hex(tx.hash);
  }

  /** The vault's signed deletion receipt of an erased record (undefined until it has shredded). */
  async receipt(record: Uint8Array): Promise<DeletionReceipt | undefined> {
    const res = await this.f(`${this.o.vaultUrl}/v1/records/${hex(record)}/receipt`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as DeletionReceipt;
  }
}

async function errorOf(res: Response): Promise<VaultError> {
  let body: { error?: { code?: string; reason?: string } } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {}
  const code = (body.error?.code ?? VaultErrorCode.UNAVAILABLE) as VaultErrorCode;
  const known = Object.values(VaultErrorCode).includes(code) ? code : VaultErrorCode.UNAVAILABLE;
  return new VaultError(known, { status: res.status, ...(body.error?.reason ? { reason: body.error.reason } : {}) });
}
