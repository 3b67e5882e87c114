/**
 * A long audit history in process, for the FHIR facade's paging tests and `fhir.audit.page`: a
 * real ChainState on LevelDB with the medical state machine and the audit indexes (no consensus or
 * p2p), one patient with four records, practitioners with consents (one revoked, one not yet
 * valid), then `accesses` ACCESS txs in blocks of `perBlock` (1,000 by default): every seventh for a purpose no consent
 * covers (DENIED), the rest granted.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { NodeApi } from '../rpc/api/types.js';
import { type Block, encodeBlock } from '../src/chain/block.js';
import { defaultChainParams, type Genesis, identityId } from '../src/chain/genesis.js';
import { TxStatus } from '../src/chain/receipt.js';
import { assembleTx, encodeTxPayload, type Tx, type TxFields } from '../src/chain/tx.js';
import { publicKeyOf, signFast } from '../src/crypto/ed25519.js';
import * as b from '../src/tx/builders.js';
import { Purpose, resourceTypeCode } from '../src/tx/kinds.js';
import { ChainState } from '../state/chain.js';
import { medicalStateMachine } from '../state/domain/medical-machine.js';
import { indexOps } from '../state/index/writer.js';
import { Prng, tempDir } from './fixtures.js';

const ZERO_SIG = new Uint8Array(64);
const unsigned = (f: TxFields): Tx => assembleTx(f, encodeTxPayload(f), ZERO_SIG);

export const HISTORY_CHAIN = 'fhir-history';
export const RECORD_TYPES = ['Observation', 'Condition', 'AllergyIntolerance', 'MedicationStatement'] as const;

export interface History {
  api: NodeApi;
  dir: string;
  patient: Uint8Array;
  org: Uint8Array;
  practitioners: Uint8Array[];
  records: Uint8Array[];
  /** Consent ids: granted (one per practitioner), the revoked one, the not-yet-valid one. */
  consents: Uint8Array[];
  revoked: Uint8Array;
  pending: Uint8Array;
  /** Block time of the first and last access block. */
  firstAccessTime: number;
  lastTime: number;
  accesses: number;
  denied: number;
  close(): Promise<void>;
}

/**
 * `perBlock`: txs per block. A patient's index entries of one block are one LevelDB value (the
 * state layer's layout), so a page decodes at most one block's worth beyond its own entries.
 */
export async function buildHistory(accesses: number, practitioners = 20, perBlock = 1000): Promise<History> {
  const rng = new Prng(0x66686972 ^ accesses);
  const orgSk = rng.bytes(32);
  const orgPk = publicKeyOf(orgSk);
  const org = identityId(orgPk);
  const t0 = Date.now() - 30 * 86_400_000;
  const genesis: Genesis = {
    chainId: HISTORY_CHAIN,
    time: t0,
    // No automatic suspension: the history keeps its granted/denied mix from start to end.
    params: { ...defaultChainParams, policy: { ...defaultChainParams.policy, denialThreshold: 0 } },
    organizations: [{ pubkey: orgPk, name: 'History Hospital' }],
    validators: [{ org, pubkey: publicKeyOf(rng.bytes(32)), power: 1 }],
  };
  const dir = await tempDir('fhir-history');
  const chain = await ChainState.open({
    dir: join(dir, 'db'),
    genesis,
    machine: medicalStateMachine,
    indexer: (ops, height, time, txs, receipts, read) => indexOps({ height, time, txs, receipts, read }, ops),
    syncWrites: false,
  });
  let time = t0;
  const commit = async (txs: Tx[]): Promise<void> => {
    for (let i = 0; i < txs.length; i += perBlock) {
      time += 1000;
      const part = txs.slice(i, i + perBlock);
      const exec = chain.execute(time, org, part);
      const bad = exec.receipts.find((r) => r.status === TxStatus.FAILED);
      if (bad !== undefined) throw new Error(`history tx failed: ${bad.code}`);
      const block: Block = { header: chain.header(time, org, exec), txs: part.map((t) => t.bytes) };
      await chain.commit(block, exec, new Uint8Array(0), encodeBlock(block));
    }
  };
  const env = (signer: Uint8Array, pubkey: Uint8Array): b.Envelope => ({
    chainId: HISTORY_CHAIN,
    signer,
    pubkey,
    expiresAt: time + 500_000,
    nonce: rng.bytes(8),
  });
  const sign = (sk: Uint8Array) => (m: Uint8Array) => signFast(m, sk);
  const orgEnv = () => env(org, orgPk);

  const docs: { id: Uint8Array; pk: Uint8Array }[] = [];
  const regs: Tx[] = [];
  for (let i = 0; i < practitioners; i++) {
    const sk = rng.bytes(32);
    const pk = publicKeyOf(sk);
    docs.push({ id: identityId(pk), pk });
    regs.push(unsigned(b.registerPractitioner(orgEnv(), pk, sign(sk))));
  }
  const psk = rng.bytes(32);
  const ppk = publicKeyOf(psk);
  const patient = identityId(ppk);
  const { signer: _s, ...pe } = env(patient, ppk);
  regs.push(unsigned(b.registerPatient({ ...pe, org, orgSign: sign(orgSk) })));
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
  const records = RECORD_TYPES.map(() => rng.bytes(32));
  await commit(
    records.map((record, i) =>
      unsigned(
        b.addRecord(env(patient, ppk), {
          record,
          patient,
          resourceType: resourceTypeCode(RECORD_TYPES[i] as string),
          commitment: rng.bytes(32),
          locator: rng.bytes(32),
          custodian: org,
          purpose: Purpose.TREAT,
        }),
      ),
    ),
  );
  const grant = (d: { id: Uint8Array }, notBefore: number) =>
    unsigned(
      b.grantConsent(env(patient, ppk), {
        patient,
        grantee: d.id,
        records,
        purposes: ['TREAT'],
        actions: ['read'],
        notBefore,
        expiresAt: t0 + 365 * 86_400_000,
      }),
    );
  const grants = docs.map((d) => grant(d, 0));
  const pendingTx = grant(docs[0] as { id: Uint8Array }, t0 + 300 * 86_400_000);
  await commit([...grants, pendingTx]);
  // The last practitioner's consent is revoked: its later accesses are DENIED REVOKED.
  const last = docs[docs.length - 1] as { id: Uint8Array; pk: Uint8Array };
  const revoked = (grants[grants.length - 1] as Tx).hash;
  await commit([unsigned(b.revokeConsent(env(patient, ppk), { patient, grantee: last.id, consent: revoked }))]);
  const firstAccessTime = time + 1000;
  const txs: Tx[] = [];
  let denied = 0;
  for (let i = 0; i < accesses; i++) {
    const di = i % docs.length;
    const d = docs[di] as { id: Uint8Array; pk: Uint8Array };
    const research = i % 7 === 3;
    if (research || di === docs.length - 1) denied++;
    txs.push(
      unsigned(
        b.access(env(d.id, d.pk), {
          patient,
          records: [records[i % records.length] as Uint8Array],
          purpose: research ? Purpose.HRESCH : Purpose.TREAT,
        }),
      ),
    );
  }
  await commit(txs);
  const events = new EventEmitter();
  const api: NodeApi = {
    chain,
    events: events as unknown as NodeApi['events'],
    submitTx: () => Promise.reject(new Error('read-only history')),
    peers: () => [],
    syncing: () => false,
    mempoolSize: () => 0,
  };
  return {
    api,
    dir,
    patient,
    org,
    practitioners: docs.map((d) => d.id),
    records,
    consents: grants.map((g) => g.hash),
    revoked,
    pending: pendingTx.hash,
    firstAccessTime,
    lastTime: time,
    accesses,
    denied,
    close: () => chain.close(),
  };
}
