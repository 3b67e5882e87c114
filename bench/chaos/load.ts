/**
 * Steady load during the run: REGISTER_PRACTITIONER transactions signed by the
 * validators' organizations, each submitted to a node that is up, then
 * waited on there (tx_waitFinal). A tx counts as acknowledged only once a node
 * told the client it is final with status ok: those must never be lost.
 */

import type { Rng } from '../../consensus/sim/prng.js';
import { identityId } from '../../src/chain/genesis.js';
import { fromHex, to0x } from '../../src/codec/bytes.js';
import { publicKeyOf, signFast } from '../../src/crypto/ed25519.js';
import { registerPractitioner } from '../../src/tx/builders.js';
import { signTx } from '../../src/tx/sign.js';
import type { ChaosNet } from './net.js';
import { rpcCall } from './rpc.js';

export interface Ack {
  hash: string;
  node: number;
  at: number;
}

export class Load {
  readonly acked: Ack[] = [];
  submitted = 0;
  refused = 0;
  unconfirmed = 0;
  private inflight = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly net: ChaosNet,
    private readonly rng: Rng,
    private readonly ratePerS: number,
    private readonly maxInflight = 400,
  ) {}

  start(): void {
    if (this.ratePerS <= 0) return;
    const every = Math.max(5, Math.round(1000 / this.ratePerS));
    const perTick = Math.max(1, Math.round((this.ratePerS * every) / 1000));
    this.timer = setInterval(() => {
      for (let k = 0; k < perTick; k++) this.one();
    }, every);
  }

  /** Stops submitting and waits for the answers still pending. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
  }

  private one(): void {
    if (this.inflight >= this.maxInflight) return;
    const up = this.net.nodes.map((n, i) => (n.state === 'up' ? i : -1)).filter((i) => i >= 0);
    if (up.length === 0) return;
    const i = this.rng.pick(up);
    // Signed by a validator's organization; submitted to any node that is up (the full node too).
    const org = this.net.validators[this.rng.int(this.net.validators.length)];
    if (org?.orgSecretKey === undefined) return;
    const orgSk = fromHex(org.orgSecretKey);
    const orgPk = publicKeyOf(orgSk);
    const sk = this.rng.fork().u32().toString(16).padStart(8, '0').repeat(8);
    const practitionerSk = fromHex(sk);
    const env = {
      chainId: this.net.chainId,
      signer: identityId(orgPk),
      pubkey: orgPk,
      expiresAt: Date.now() + 5 * 60_000,
      nonce: fromHex(this.rng.u32().toString(16).padStart(8, '0')),
    };
    const tx = signTx(
      registerPractitioner(env, publicKeyOf(practitionerSk), (m) => signFast(m, practitionerSk)),
      orgSk,
      signFast,
    );
    this.submitted++;
    this.inflight++;
    const p = this.submit(i, to0x(tx.bytes), to0x(tx.hash)).finally(() => {
      this.inflight--;
      this.pending.delete(p);
    });
    this.pending.add(p);
  }

  private async submit(i: number, bytes: string, hash: string): Promise<void> {
    const url = (this.net.nodes[i] as { rpc: string }).rpc;
    try {
      await rpcCall(url, 'tx_submit', [bytes], 5_000);
    } catch {
      this.refused++;
      return;
    }
    try {
      const r = await rpcCall<{ status?: string }>(url, 'tx_waitFinal', [hash, 20_000], 25_000);
      if (r.status === 'ok') this.acked.push({ hash, node: i, at: Date.now() });
      else this.unconfirmed++;
    } catch {
      this.unconfirmed++;
    }
  }
}
