/**
 * What the vault asks of the chain, as a narrow interface (tests and the bench pass fakes), and
 * its implementation over the node's JSON-RPC: the node stays the control plane.
 */

import { hex, MedchainClient } from '../client/client.js';
import { from0x } from '../codec/bytes.js';

export interface AccessVerdict {
  granted: boolean;
  /** Reason code of a denial (NO_CONSENT, EXPIRED, ERASED, UNKNOWN_RECORD, ...). */
  code: string | null;
  /** The record's patient (null: unknown record). */
  patient: Uint8Array | null;
  consent: Uint8Array | null;
  emergency: boolean;
  session: Uint8Array | null;
}

export interface PointerView {
  patient: Uint8Array;
  custodian: Uint8Array;
  locator: Uint8Array | null;
  erased: boolean;
  /** sha256(receiptPayload) anchored by the custodian's ATTEST_DELETION (null: not attested yet). */
  deletionReceipt: Uint8Array | null;
}

export interface VaultChain {
  readonly chainId: string;
  /** The identity's current public key (undefined: not registered). */
  identityKey(id: Uint8Array): Promise<Uint8Array | undefined>;
  /** The chain's decision on a read by `grantee` of `record` for `purpose`, at the latest finalized block. */
  checkAccess(grantee: Uint8Array, record: Uint8Array, purpose: string): Promise<AccessVerdict>;
  record(id: Uint8Array): Promise<PointerView | undefined>;
  /** Submits signed tx bytes to the mempool; throws if the node refuses them. Returns the tx hash. */
  submit(tx: Uint8Array): Promise<string>;
}

const opt = (s: string | null): Uint8Array | null => (s === null ? null : from0x(s));

export class RpcVaultChain implements VaultChain {
  private constructor(
    readonly client: MedchainClient,
    readonly chainId: string,
  ) {}

  static async connect(url: string, token?: string): Promise<RpcVaultChain> {
    const client = MedchainClient.http(url, token === undefined ? {} : { token });
    return new RpcVaultChain(client, (await client.status()).chainId);
  }

  async identityKey(id: Uint8Array): Promise<Uint8Array | undefined> {
    const r = await this.client.call('identity_get', { id: hex(id) });
    return r.identity === null ? undefined : from0x(r.identity.pubkey);
  }

  async checkAccess(grantee: Uint8Array, record: Uint8Array, purpose: string): Promise<AccessVerdict> {
    const d = await this.client.call('access_check', {
      grantee: hex(grantee),
      record: hex(record),
      action: 'read',
      purpose: purpose as 'TREAT',
      proof: false,
    });
    return {
      granted: d.granted,
      code: d.code,
      patient: opt(d.patient),
      consent: opt(d.consent),
      emergency: d.emergency,
      session: opt(d.session),
    };
  }

  async record(id: Uint8Array): Promise<PointerView | undefined> {
    const r = (await this.client.call('record_get', { record: hex(id) })).record;
    if (r === null) return undefined;
    return {
      patient: from0x(r.patient),
      custodian: from0x(r.custodian),
      locator: opt(r.locator),
      erased: r.erased,
      deletionReceipt: opt(r.deletionReceipt),
    };
  }

  submit(tx: Uint8Array): Promise<string> {
    return this.client.submit(tx);
  }
}
