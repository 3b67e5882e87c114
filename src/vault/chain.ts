/**
 * What the vault asks of the chain, as a narrow interface (tests and the bench pass fakes), and
 * its implementation over the node's JSON-RPC: the node stays the control plane.
 */

import { hex, MedchainClient, RpcClientError } from '../client/client.js';
import { from0x } from '../codec/bytes.js';

export interface PointerView {
  patient: Uint8Array;
  custodian: Uint8Array;
  locator: Uint8Array | null;
  erased: boolean;
  /** sha256(receiptPayload) anchored by the custodian's ATTEST_DELETION (null: not attested yet). */
  deletionReceipt: Uint8Array | null;
}

export interface IdentityView {
  pubkey: Uint8Array;
  suspended: boolean;
}

/** A tx's receipt in a final (committed) block, as tx_waitFinal returns it (JSON values). */
export interface FinalReceipt {
  txHash: string;
  height: number;
  /** The including block's time (ms of block time). */
  time: number;
  status: 'ok' | 'failed' | 'denied';
  code: string;
  events: { type: string; attrs: Record<string, string | number | boolean | null> }[];
}

export interface VaultChain {
  readonly chainId: string;
  /** The identity's current public key and standing (undefined: not registered). */
  identity(id: Uint8Array): Promise<IdentityView | undefined>;
  record(id: Uint8Array): Promise<PointerView | undefined>;
  /** Submits signed tx bytes to the mempool; throws if the node refuses them. Returns the tx hash. */
  submit(tx: Uint8Array): Promise<string>;
  /** The tx's receipt once it is in a final block; undefined if it is not within `timeoutMs`. */
  waitFinal(txHash: string, timeoutMs: number): Promise<FinalReceipt | undefined>;
  /** The node's head block: height and block time. */
  head(): Promise<{ height: number; time: number }>;
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

  async identity(id: Uint8Array): Promise<IdentityView | undefined> {
    const r = await this.client.call('identity_get', { id: hex(id) });
    return r.identity === null ? undefined : { pubkey: from0x(r.identity.pubkey), suspended: r.identity.suspended };
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

  async waitFinal(txHash: string, timeoutMs: number): Promise<FinalReceipt | undefined> {
    try {
      const r = await this.client.waitFinal(txHash, Math.max(1, Math.ceil(timeoutMs)));
      return { txHash: r.txHash, height: r.height, time: r.time, status: r.status, code: r.code, events: r.events };
    } catch (err) {
      if (err instanceof RpcClientError && err.reason === 'TX_WAIT_TIMEOUT') return undefined;
      throw err;
    }
  }

  async head(): Promise<{ height: number; time: number }> {
    const s = await this.client.status();
    return { height: s.headHeight, time: s.headTime };
  }
}
