/**
 * Vault opens in the chaos load: a custodian vault (hospital A, in this process) reading the
 * chain through the full node; a patient stores one record there and consents to a practitioner
 * of hospital B, who then opens it over and over while the faults run. Every open that returned
 * data is a disclosure: its ACCESS tx must be final with status ok (granted) on every node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Account, accountFromSecret, generateAccount, MedchainClient, TxFactory } from '../../src/client/index.js';
import { RecordVault } from '../../src/client/vault/index.js';
import { utf8 } from '../../src/codec/bytes.js';
import { type RunningVault, startVault } from '../../src/vault/index.js';
import type { ChaosNet } from './net.js';
import { rpcBatch } from './rpc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class VaultOpens {
  /** ACCESS tx hashes of opens that returned data. */
  readonly disclosed: string[] = [];
  failed = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly vault: RunningVault,
    private readonly client: MedchainClient,
    private readonly doctor: RecordVault,
    private readonly record: Uint8Array,
    private readonly dir: string,
  ) {}

  /** Onboards the parties and stores the record through the node at `rpc` (up to a few blocks). */
  static async setUp(net: ChaosNet, rpc: string): Promise<VaultOpens> {
    const token = net.rpcToken;
    const client = MedchainClient.http(rpc, token === undefined ? {} : { token });
    const chainId = net.chainId;
    const orgA = accountFromSecret(net.validators[0]?.orgSecretKey as string);
    const orgB = accountFromSecret((net.validators[1] ?? net.validators[0])?.orgSecretKey as string);
    const patient = generateAccount();
    const doc = generateAccount();
    const as = (a: Account) => new TxFactory({ chainId, account: a });
    const ok = async (...txs: { bytes: Uint8Array }[]): Promise<void> => {
      for (const r of await Promise.all(txs.map((t) => client.send(t))))
        if (r.status !== 'ok') throw new Error(`vault load setup: ${r.status} ${r.code}`);
    };
    const dir = mkdtempSync(join(tmpdir(), 'medchain-chaos-vault-'));
    const vault = await startVault(
      { dir, host: '127.0.0.1', port: 0 },
      {
        rpcUrl: rpc,
        ...(token === undefined ? {} : { rpcToken: token }),
        custodianSecretKey: orgA.secretKey,
        log: { info: () => undefined, warn: () => undefined },
      },
    );
    try {
      await ok(as(patient).registerPatient(orgA), as(orgB).registerPractitioner(doc));
      const now = (await client.status()).headTime;
      await ok(
        as(orgB).issueCredential({
          practitioner: doc.id,
          type: 'license',
          validFrom: now - 3_600_000,
          validUntil: now + 86_400_000,
        }),
      );
      const of = (a: Account) => new RecordVault({ client, chainId, account: a, vaultUrl: vault.url });
      const { record } = await of(patient).store(utf8('{"resourceType":"Observation"}'), {
        resourceType: 'Observation',
      });
      await of(patient).share([record], doc.id, { purposes: ['TREAT'], hours: 48 });
      return new VaultOpens(vault, client, of(doc), record, dir);
    } catch (err) {
      await vault.close();
      await client.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Opens the record every `everyMs` until stop(); a refused or failed open is only counted. */
  start(everyMs: number): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          this.disclosed.push((await this.doctor.open(this.record, 'TREAT')).accessTx);
        } catch {
          this.failed++;
        }
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Disclosures whose ACCESS tx is not final and granted on some node, as violation lines. */
  async check(net: ChaosNet): Promise<string[]> {
    const out: string[] = [];
    for (const n of net.nodes) {
      for (let k = 0; k < this.disclosed.length; k += 100) {
        const part = this.disclosed.slice(k, k + 100);
        let res: ({ status?: string } | undefined)[];
        try {
          res = await rpcBatch<{ status?: string }>(
            n.rpc,
            'tx_getReceipt',
            part.map((h) => [h]),
            20_000,
          );
        } catch (err) {
          out.push(`vault: ${n.name} did not answer tx_getReceipt (${String(err)})`);
          break;
        }
        for (const [j, r] of res.entries())
          if (r?.status !== 'ok') out.push(`vault: disclosure ${part[j]} has no granted final ACCESS on ${n.name}`);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.vault.close();
    await this.client.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
