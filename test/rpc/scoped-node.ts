/**
 * An in-process node for scope tests: a real ChainState (LevelDB, the medical state machine, the
 * audit indexes) with a small cast, served by a real RpcServer with the node API and an operator
 * token. Blocks are committed by hand (no consensus), so a test can rotate a key or suspend someone
 * and see sessions end; the sign-in clock is the test's.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerNodeApi } from '../../rpc/api/index.js';
import { eachRead, type MethodReads } from '../../rpc/api/read-log.js';
import type { NodeApi } from '../../rpc/api/types.js';
import type { Auth } from '../../rpc/auth/auth.js';
import type { RpcLogger } from '../../rpc/logger.js';
import { RpcServer } from '../../rpc/server.js';
import { type Block, encodeBlock } from '../../src/chain/block.js';
import { defaultChainParams, type Genesis, identityId } from '../../src/chain/genesis.js';
import { TxStatus } from '../../src/chain/receipt.js';
import { assembleTx, encodeTxPayload, type Tx, type TxFields } from '../../src/chain/tx.js';
import { publicKeyOf, randomSecretKey, signFast } from '../../src/crypto/ed25519.js';
import * as b from '../../src/tx/builders.js';
import { ChainState } from '../../state/chain.js';
import { medicalStateMachine } from '../../state/domain/medical-machine.js';
import { indexOps } from '../../state/index/writer.js';

export const CHAIN = 'scope-test';
export const OPERATOR_TOKEN = 'operator-token-for-tests';

export interface Who {
  id: Uint8Array;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const who = (sk = randomSecretKey()): Who => {
  const publicKey = publicKeyOf(sk);
  return { id: identityId(publicKey), publicKey, secretKey: sk };
};

export interface ReadLog {
  obj: Record<string, unknown>;
  msg: string;
}

export interface ScopedNode {
  server: RpcServer;
  auth: Auth;
  url: string;
  wsUrl: string;
  api: NodeApi;
  clock: { now: number };
  reads: ReadLog[];
  orgA: Who;
  orgB: Who;
  patient: Who;
  other: Who;
  delegate: Who;
  doctor: Who;
  doctorB: Who;
  record: Uint8Array;
  otherRecord: Uint8Array;
  consent: Uint8Array;
  accessTx: Uint8Array;
  /** The patient's SET_DELEGATE (names the patient and the delegate only). */
  delegateTx: Uint8Array;
  /** Commits txs as the next block (each must succeed; `true`: or be denied; 'any': any outcome). */
  commit(txs: TxFields[], allow?: boolean | 'any'): Promise<Tx[]>;
  env(w: Who): b.Envelope;
  close(): Promise<void>;
}

const ZERO_SIG = new Uint8Array(64);
const unsigned = (f: TxFields): Tx => assembleTx(f, encodeTxPayload(f), ZERO_SIG);
const sign = (sk: Uint8Array) => (m: Uint8Array) => signFast(m, sk);

export async function startScopedNode(): Promise<ScopedNode> {
  const orgA = who();
  const orgB = who();
  const t0 = Date.now() - 3_600_000;
  const genesis: Genesis = {
    chainId: CHAIN,
    time: t0,
    params: { ...defaultChainParams, policy: { ...defaultChainParams.policy, denialThreshold: 2 } },
    organizations: [
      { pubkey: orgA.publicKey, name: 'Hospital A' },
      { pubkey: orgB.publicKey, name: 'Hospital B' },
    ],
    validators: [{ org: orgA.id, pubkey: publicKeyOf(randomSecretKey()), power: 1 }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'medchain-scope-'));
  const chain = await ChainState.open({
    dir: join(dir, 'db'),
    genesis,
    machine: medicalStateMachine,
    indexer: (ops, height, time, txs, receipts, read) => indexOps({ height, time, txs, receipts, read }, ops),
    syncWrites: false,
  });
  const events = new EventEmitter();
  let time = t0;
  let nonce = 0;
  const env = (w: Who): b.Envelope => {
    const n = new Uint8Array(8);
    new DataView(n.buffer).setUint32(4, ++nonce);
    return { chainId: CHAIN, signer: w.id, pubkey: w.publicKey, expiresAt: time + 600_000, nonce: n };
  };
  const commit = async (fields: TxFields[], allow: boolean | 'any' = false): Promise<Tx[]> => {
    time += 1000;
    const txs = fields.map(unsigned);
    const exec = chain.execute(time, orgA.id, txs);
    const bad = exec.receipts.find(
      (r) => allow !== 'any' && r.status !== TxStatus.OK && (r.status === TxStatus.FAILED || !allow),
    );
    if (bad !== undefined) throw new Error(`fixture tx not ok: ${bad.code}`);
    const block: Block = { header: chain.header(time, orgA.id, exec), txs: txs.map((t) => t.bytes) };
    await chain.commit(block, exec, new Uint8Array(0), encodeBlock(block));
    events.emit('committed', { block, exec, cert: null });
    return txs;
  };

  const patient = who();
  const other = who();
  const delegate = who();
  const doctor = who();
  const doctorB = who();
  const pat = (p: Who, org: Who) => {
    const { signer: _s, pubkey: _p, ...e } = env(p);
    return b.registerPatient({ ...e, pubkey: p.publicKey, org: org.id, orgSign: sign(org.secretKey) });
  };
  await commit([
    pat(patient, orgA),
    pat(other, orgA),
    pat(delegate, orgB),
    b.registerPractitioner(env(orgA), doctor.publicKey, sign(doctor.secretKey)),
    b.registerPractitioner(env(orgB), doctorB.publicKey, sign(doctorB.secretKey)),
  ]);
  const license = (d: Who, org: Who) =>
    b.issueCredential(env(org), {
      practitioner: d.id,
      credType: 1,
      qualifier: 0,
      validFrom: t0,
      validUntil: t0 + 365 * 86_400_000,
    });
  const record = new Uint8Array(32).fill(0x51);
  const otherRecord = new Uint8Array(32).fill(0x52);
  const add = (p: Who, r: Uint8Array, custodian: Who) =>
    b.addRecord(env(p), {
      record: r,
      patient: p.id,
      resourceType: 3,
      commitment: new Uint8Array(32).fill(7),
      locator: new Uint8Array(16).fill(9),
      custodian: custodian.id,
      purpose: 1,
    });
  const second = await commit([
    license(doctor, orgA),
    license(doctorB, orgB),
    add(patient, record, orgA),
    add(other, otherRecord, orgB),
    b.setDelegate(env(patient), { delegate: delegate.id, expiresAt: t0 + 30 * 86_400_000 }),
  ]);
  const [grant] = await commit([
    b.grantConsent(env(patient), {
      patient: patient.id,
      grantee: doctor.id,
      records: [record],
      purposes: ['TREAT'],
      actions: ['read'],
      notBefore: 0,
      expiresAt: t0 + 30 * 86_400_000,
    }),
  ]);
  const [acc] = await commit([b.access(env(doctor), { patient: patient.id, records: [record], purpose: 1 })]);

  const api: NodeApi = {
    chain,
    events: events as unknown as NodeApi['events'],
    submitTx: async (bytes) => {
      throw new Error(`read-only test node (${bytes.length} bytes)`);
    },
    peers: () => [],
    syncing: () => false,
    mempoolSize: () => 0,
  };
  const reads: ReadLog[] = [];
  const logger: RpcLogger = {
    error: () => {},
    warn: () => {},
    debug: () => {},
    // One line per caller and batch (rpc/api/read-log.ts): one entry per read here, for the tests.
    info: (obj, msg) => {
      const { reads: columns, ...line } = obj as { reads: Record<string, MethodReads> };
      for (const r of eachRead(columns)) reads.push({ obj: { ...line, ...r }, msg });
    },
  };
  const clock = { now: Date.now() };
  const server = new RpcServer(
    { port: 0, authToken: OPERATOR_TOKEN, rateLimit: null, validateResults: true, maxPendingPerConnection: 4 },
    { logger },
  );
  const auth = registerNodeApi(server, api, { now: () => clock.now, auth: { sessionTtlMs: 60_000 } });
  const addr = await server.listen();
  return {
    server,
    auth,
    url: addr.url,
    wsUrl: addr.wsUrl,
    api,
    clock,
    reads,
    orgA,
    orgB,
    patient,
    other,
    delegate,
    doctor,
    doctorB,
    record,
    otherRecord,
    consent: (grant as Tx).hash,
    accessTx: (acc as Tx).hash,
    delegateTx: (second[4] as Tx).hash,
    commit,
    env,
    close: async () => {
      await server.close();
      await chain.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
