/**
 * The node's JSON-RPC API over a chain with a realistic medical state, in process (a real
 * ChainState on LevelDB, the medical state machine, the audit indexes; no consensus or p2p):
 *   rpc.status               chain_getStatus calls/s over keep-alive, ratio to rpc.http.baseline
 *                            measured in the same run (goal >= 0.6)
 *   rpc.access_check.batch   access decisions/s in JSON-RPC batches of 100 (goal >= 50,000/s)
 *   rpc.access_check.proofs  the same with three state proofs per decision
 * Flags: --patients N (default 10,000), plus the load flags of rpc-load.ts (--seconds ...).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { registerNodeApi } from '../rpc/api/index.js';
import type { NodeApi } from '../rpc/api/types.js';
import { type Block, encodeBlock } from '../src/chain/block.js';
import { defaultChainParams, type Genesis, identityId } from '../src/chain/genesis.js';
import { TxStatus } from '../src/chain/receipt.js';
import { assembleTx, encodeTxPayload, type Tx, type TxFields } from '../src/chain/tx.js';
import { to0x } from '../src/codec/bytes.js';
import { publicKeyOf, signFast } from '../src/crypto/ed25519.js';
import * as b from '../src/tx/builders.js';
import { ChainState } from '../state/chain.js';
import { medicalStateMachine } from '../state/domain/medical-machine.js';
import { indexOps } from '../state/index/writer.js';
import { Prng, tempDir } from './fixtures.js';
import { round } from './measure.js';
import { measureRpc } from './rpc-load.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

const CHAIN = 'bench-rpc';
const ZERO_SIG = new Uint8Array(64);
const BATCH = 100;
const PRACTITIONERS = 200;

export interface Fixture {
  api: NodeApi;
  /** The hospital that employs every practitioner (signs in for the scoped benchmarks). */
  org: { id: Uint8Array; publicKey: Uint8Array; secretKey: Uint8Array };
  patients: { id: Uint8Array; record: Uint8Array }[];
  practitioners: Uint8Array[];
  /** [grantee, record, purpose] triples for access_check. */
  checks: [string, string, string][];
  close(): Promise<void>;
}

let fixture: Promise<Fixture> | undefined;

/** One fixture per bench process, shared by every RPC benchmark. */
export function sharedFixture(ctx: BenchContext): Promise<Fixture> {
  fixture ??= buildFixture(ctx);
  return fixture;
}

/** Signature-free txs: the executor trusts admission for signatures (co-signatures inside bodies are real). */
const unsigned = (f: TxFields): Tx => assembleTx(f, encodeTxPayload(f), ZERO_SIG);

export async function buildFixture(ctx: BenchContext): Promise<Fixture> {
  const n = typeof ctx.flags.patients === 'string' ? Number(ctx.flags.patients) : 10_000;
  const started = Date.now();
  const rng = new Prng(0x6d656463);
  const orgSk = rng.bytes(32);
  const orgPk = publicKeyOf(orgSk);
  const org = identityId(orgPk);
  const t0 = Date.now() - 3_600_000;
  const genesis: Genesis = {
    chainId: CHAIN,
    time: t0,
    params: defaultChainParams,
    organizations: [{ pubkey: orgPk, name: 'Bench Hospital' }],
    validators: [{ org, pubkey: publicKeyOf(rng.bytes(32)), power: 1 }],
  };
  const dir = await tempDir('rpc-node');
  const chain = await ChainState.open({
    dir: join(dir, 'db'),
    genesis,
    machine: medicalStateMachine,
    indexer: (ops, height, time, txs, receipts, read) => indexOps({ height, time, txs, receipts, read }, ops),
    syncWrites: false,
  });
  let time = t0;
  const commit = async (txs: Tx[]): Promise<void> => {
    for (let i = 0; i < txs.length; i += 5000) {
      time += 1000;
      const part = txs.slice(i, i + 5000);
      // As a proposer builds: txs the sender rule refuses (a grantee suspended by its denials) stay out.
      const exec = chain.execute(time, org, part, { drop: true });
      const bad = exec.receipts.find((r) => r.status === TxStatus.FAILED);
      if (bad !== undefined) throw new Error(`fixture tx failed: ${bad.code}`);
      const block: Block = { header: chain.header(time, org, exec), txs: exec.txs.map((t) => t.bytes) };
      await chain.commit(block, exec, new Uint8Array(0), encodeBlock(block));
    }
  };
  const env = (signer: Uint8Array, pubkey: Uint8Array): b.Envelope => ({
    chainId: CHAIN,
    signer,
    pubkey,
    expiresAt: time + 500_000,
    nonce: rng.bytes(8),
  });
  const orgEnv = (): b.Envelope => env(org, orgPk);
  const sign = (sk: Uint8Array) => (m: Uint8Array) => signFast(m, sk);

  // Practitioners with licenses.
  const docs: { id: Uint8Array; pk: Uint8Array }[] = [];
  const regs: Tx[] = [];
  for (let i = 0; i < PRACTITIONERS; i++) {
    const sk = rng.bytes(32);
    const pk = publicKeyOf(sk);
    docs.push({ id: identityId(pk), pk });
    regs.push(unsigned(b.registerPractitioner(orgEnv(), pk, sign(sk))));
  }
  await commit(regs);
  await commit(
    docs.map((d) =>
      unsigned(
        b.issueCredential(orgEnv(), {
          practitioner: d.id,
          credType: 1,
          qualifier: 0,
          validFrom: t0,
          validUntil: t0 + 10 * 365 * 86_400_000,
        }),
      ),
    ),
  );
  // Patients: identity, one record, one consent to one practitioner (every tenth revoked later).
  const patients: { id: Uint8Array; pk: Uint8Array; record: Uint8Array; doc: number }[] = [];
  const pts: Tx[] = [];
  for (let i = 0; i < n; i++) {
    const sk = rng.bytes(32);
    const pk = publicKeyOf(sk);
    const id = identityId(pk);
    patients.push({ id, pk, record: rng.bytes(32), doc: i % PRACTITIONERS });
    const { signer: _s, ...e } = env(id, pk);
    pts.push(unsigned(b.registerPatient({ ...e, org, orgSign: sign(orgSk) })));
  }
  await commit(pts);
  await commit(
    patients.map((p) =>
      unsigned(
        b.addRecord(env(p.id, p.pk), {
          record: p.record,
          patient: p.id,
          resourceType: 3,
          commitment: rng.bytes(32),
          locator: rng.bytes(24),
          custodian: org,
          purpose: 1,
        }),
      ),
    ),
  );
  const grants = patients.map((p) =>
    unsigned(
      b.grantConsent(env(p.id, p.pk), {
        patient: p.id,
        grantee: (docs[p.doc] as { id: Uint8Array }).id,
        records: [p.record],
        purposes: ['TREAT'],
        actions: ['read'],
        notBefore: 0,
        expiresAt: t0 + 30 * 86_400_000,
      }),
    ),
  );
  await commit(grants);
  await commit(
    patients
      .filter((_, i) => i % 10 === 0)
      .map((p, i) =>
        unsigned(
          b.revokeConsent(env(p.id, p.pk), {
            patient: p.id,
            grantee: (docs[p.doc] as { id: Uint8Array }).id,
            consent: (grants[i * 10] as Tx).hash,
          }),
        ),
      ),
  );
  // Accesses, so the audit indexes hold something too.
  await commit(
    patients.map((p) =>
      unsigned(
        b.access(env((docs[p.doc] as { id: Uint8Array }).id, (docs[p.doc] as { pk: Uint8Array }).pk), {
          patient: p.id,
          records: [p.record],
          purpose: 1,
        }),
      ),
    ),
  );
  ctx.log(
    `fixture: ${n} patients, ${PRACTITIONERS} practitioners, head ${chain.head.height}, built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  const checks: [string, string, string][] = [];
  for (let i = 0; i < BATCH; i++) {
    const p = patients[rng.below(patients.length)] as (typeof patients)[number];
    // Mostly the patient's own practitioner (granted or revoked), sometimes another one (no consent).
    const doc = rng.below(4) === 0 ? rng.below(PRACTITIONERS) : p.doc;
    checks.push([to0x((docs[doc] as { id: Uint8Array }).id), to0x(p.record), rng.below(8) === 0 ? 'HRESCH' : 'TREAT']);
  }
  const events = new EventEmitter();
  const api: NodeApi = {
    chain,
    events: events as unknown as NodeApi['events'],
    submitTx: () => Promise.reject(new Error('read-only bench node')),
    peers: () => [],
    syncing: () => false,
    mempoolSize: () => 0,
  };
  return {
    api,
    org: { id: org, publicKey: orgPk, secretKey: orgSk },
    checks,
    patients,
    practitioners: docs.map((d) => d.id),
    close: () => chain.close(),
  };
}

const BENCH_TOKEN = 'bench-operator-token';
const STATUS_BODY = '{"jsonrpc":"2.0","id":1,"method":"chain_getStatus"}';
const batchBody = (checks: [string, string, string][], proof: boolean): string =>
  JSON.stringify(
    checks.map(([g, r, p], i) => ({ jsonrpc: '2.0', id: i, method: 'access_check', params: [g, r, 'read', p, proof] })),
  );

async function accessBench(id: string, ctx: BenchContext, proof: boolean): Promise<BenchResult> {
  const f = await sharedFixture(ctx);
  const r = await measureRpc(
    id,
    ctx,
    (server) => {
      registerNodeApi(server, f.api);
    },
    batchBody(f.checks, proof),
    // Decisions on anyone's records are the operator's (a hospital's own gateway); rpc.scope.* times a session.
    { server: { authToken: BENCH_TOKEN }, headers: { authorization: `Bearer ${BENCH_TOKEN}` } },
  );
  // measureRpc counts requests; each request is a batch of 100 decisions.
  // The bare-HTTP baseline of the same run moves with the machine (2x between runs on a shared
  // one): batches per baseline request is the figure to compare across runs and builds.
  return {
    id,
    ops_per_s: round(r.ops_per_s * BATCH),
    batches_per_s: r.ops_per_s,
    limit_req_per_s: r.limit_ops_per_s,
    ratio: r.ratio,
    ...(proof ? {} : { goal_ops_per_s: 50_000 }),
    cpu_us_per_check: round((r.cpu_us_per_req as number) / BATCH, 2),
  };
}

export const benchmarks: Benchmark[] = [
  {
    id: 'rpc.status',
    async run(ctx) {
      const f = await sharedFixture(ctx);
      const r = await measureRpc(
        'rpc.status',
        ctx,
        (server) => {
          registerNodeApi(server, f.api);
        },
        STATUS_BODY,
      );
      return { ...r, goal_ratio: 0.6 };
    },
  },
  { id: 'rpc.access_check.batch', run: (ctx) => accessBench('rpc.access_check.batch', ctx, false) },
  { id: 'rpc.access_check.proofs', run: (ctx) => accessBench('rpc.access_check.proofs', ctx, true) },
];
