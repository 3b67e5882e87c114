import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { BlockErrorCode } from '../../../src/chain/block.js';
import { type ChainParams, defaultChainParams, type Genesis, identityId } from '../../../src/chain/genesis.js';
import { type Receipt, TxStatus } from '../../../src/chain/receipt.js';
import type { Tx, TxFields } from '../../../src/chain/tx.js';
import { u32be, utf8 } from '../../../src/codec/bytes.js';
import { publicKeyOf, signFast } from '../../../src/crypto/ed25519.js';
import { sha256Parts } from '../../../src/crypto/hash.js';
import { isCoded } from '../../../src/errors.js';
import type { BodyByKind, MedicalKind, ValidatorSeat } from '../../../src/tx/bodies.js';
import {
  buildTx,
  consensusKeyProof,
  type Envelope,
  registerPatient,
  registerPractitioner,
  type Signer,
} from '../../../src/tx/builders.js';
import { CredentialType, TxKind } from '../../../src/tx/kinds.js';
import { signTx } from '../../../src/tx/sign.js';
import { medicalStateMachine, stageGenesis } from '../../../state/domain/medical-machine.js';
import { type Execution, executeBlock } from '../../../state/exec/executor.js';
import type { StateMachine } from '../../../state/exec/machine.js';
import { type IndexedBlock, indexOps } from '../../../state/index/writer.js';
import { EMPTY_ROOT } from '../../../state/smt/node.js';
import { StateStore } from '../../../state/state-store.js';
import { type BatchOp, type Db, openDb } from '../../../state/store/db.js';

export const CHAIN_ID = 'medchain-test';
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const YEAR = 365 * DAY;

/** A key pair and the identity id its first key gives. */
export interface Actor {
  sk: Uint8Array;
  pk: Uint8Array;
  id: Uint8Array;
  sign: Signer;
}

export function actor(name: string): Actor {
  const sk = sha256Parts([utf8('test-actor'), utf8(name)]);
  const pk = publicKeyOf(sk);
  return { sk, pk, id: identityId(pk), sign: (m) => signFast(m, sk) };
}

/** A libp2p-like peer id (base58 text) for governance bodies. */
export const TEST_PEER_ID = '12D3KooWTestPeer';

/** A validator seat for `org`, its consensus key's proof signed by `by` (the key's holder unless a test lies). */
export function seat(org: Uint8Array, consensus: Actor, peerId = TEST_PEER_ID, by: Actor = consensus): ValidatorSeat {
  const consensusProof = consensusKeyProof(CHAIN_ID, org, consensus.pk, peerId, by.sign);
  return { consensusKey: consensus.pk, power: 1, peerId, consensusProof };
}

export const rid = (name: string): Uint8Array => sha256Parts([utf8('record'), utf8(name)]);

export const testParams = (over: Partial<ChainParams['policy']> = {}, governanceDelayBlocks = 3): ChainParams => ({
  ...defaultChainParams,
  governanceDelayBlocks,
  policy: { ...defaultChainParams.policy, ...over },
});

/**
 * A chain on a temp LevelDB running the real executor, state store and index
 * writer: one batch per block, like the node.
 */
export class TestChain {
  readonly orgs: Actor[];
  readonly validatorKeys: Actor[];
  height = 0;
  time = T0;
  readonly blocks: IndexedBlock[] = [];
  readonly roots: Uint8Array[] = [];
  private nonce = 0;

  private constructor(
    readonly db: Db,
    readonly store: StateStore,
    readonly dir: string,
    readonly genesis: Genesis,
    readonly machine: StateMachine,
  ) {
    this.orgs = genesis.organizations.map((_, i) => actor(`org-${i}`));
    this.validatorKeys = genesis.validators.map((_, i) => actor(`validator-${i}`));
  }

  static genesisFor(orgCount: number, validators: number, params: ChainParams): Genesis {
    const orgs = Array.from({ length: orgCount }, (_, i) => actor(`org-${i}`));
    return {
      chainId: CHAIN_ID,
      time: T0,
      params,
      organizations: orgs.map((o, i) => ({ pubkey: o.pk, name: `Hospital ${i}` })),
      validators: orgs
        .slice(0, validators)
        .map((o, i) => ({ org: o.id, pubkey: actor(`validator-${i}`).pk, power: 1 })),
    };
  }

  static async open(opts: { orgs?: number; validators?: number; params?: ChainParams } = {}): Promise<TestChain> {
    const genesis = TestChain.genesisFor(
      opts.orgs ?? 3,
      opts.validators ?? opts.orgs ?? 3,
      opts.params ?? testParams(),
    );
    return TestChain.openWith(genesis);
  }

  static async openWith(genesis: Genesis, machine: StateMachine = medicalStateMachine): Promise<TestChain> {
    const dir = mkdtempSync(join(tmpdir(), 'medchain-domain-'));
    const db = await openDb(dir);
    const store = new StateStore(db, EMPTY_ROOT);
    try {
      const g = stageGenesis(machine, store, genesis);
      const ops: BatchOp[] = [];
      store.writeOps(g.staged, ops);
      await db.batch(ops);
      store.advance(g.staged);
    } catch (err) {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return new TestChain(db, store, dir, genesis, machine);
  }

  async close(): Promise<void> {
    await this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get params(): ChainParams {
    return this.genesis.params;
  }

  env(a: Actor, over: Partial<Envelope> = {}): Envelope {
    return {
      chainId: CHAIN_ID,
      signer: a.id,
      pubkey: a.pk,
      expiresAt: this.time + YEAR,
      nonce: u32be(this.nonce++),
      ...over,
    };
  }

  /** Signs fields with a secret key (the signature is admission's business, but keep txs realistic). */
  sign(f: TxFields, sk: Uint8Array): Tx {
    return signTx(f, sk, signFast);
  }

  tx<K extends MedicalKind>(kind: K, a: Actor, body: BodyByKind[K], over: Partial<Envelope> = {}, sk = a.sk): Tx {
    return this.sign(buildTx(kind, this.env(a, over), body), sk);
  }

  /** Executes and commits one block at `time` (default: 1 s after the last). */
  async block(txs: Tx[], time = this.time + 1000, opts: { drop?: boolean } = {}): Promise<Execution> {
    this.height++;
    this.time = time;
    const exec = executeBlock(
      this.machine,
      this.store,
      {
        chainId: CHAIN_ID,
        height: this.height,
        time,
        proposer: this.orgs[0]?.id ?? new Uint8Array(32),
        params: this.params,
      },
      txs,
      opts,
    );
    const ops: BatchOp[] = [];
    this.store.writeOps(exec.staged, ops);
    const b: IndexedBlock = { height: this.height, time, txs: exec.txs, receipts: exec.receipts };
    indexOps(b, ops);
    await this.db.batch(ops);
    this.store.advance(exec.staged);
    this.blocks.push(b);
    this.roots.push(exec.stateRoot);
    return exec;
  }

  /** One tx in its own block; returns its receipt. */
  async run(tx: Tx, time?: number): Promise<Receipt> {
    const exec = await this.block([tx], time);
    return exec.receipts[0] as Receipt;
  }

  // ---- setup shortcuts (each asserts OK) ----

  async registerPatient(name: string, org = this.orgs[0] as Actor): Promise<Actor> {
    const p = actor(name);
    const f = registerPatient({
      chainId: CHAIN_ID,
      pubkey: p.pk,
      expiresAt: this.time + YEAR,
      org: org.id,
      orgSign: org.sign,
    });
    expectOk(await this.run(this.sign(f, p.sk)));
    return p;
  }

  async registerPractitioner(
    name: string,
    org = this.orgs[0] as Actor,
    credentials: number[] = [CredentialType.LICENSE],
  ): Promise<Actor> {
    const p = actor(name);
    expectOk(await this.run(this.sign(registerPractitioner(this.env(org), p.pk, p.sign), org.sk)));
    for (const t of credentials) await this.issue(org, p, t);
    return p;
  }

  async issue(org: Actor, p: Actor, credType: number, validUntil = this.time + YEAR, qualifier = 0): Promise<void> {
    expectOk(
      await this.run(
        this.tx(TxKind.ISSUE_CREDENTIAL, org, {
          practitioner: p.id,
          credType,
          qualifier,
          validFrom: this.time,
          validUntil,
        }),
      ),
    );
  }

  async addRecord(author: Actor, patient: Actor, name: string, resourceType = 5, custodian = this.orgs[0] as Actor) {
    return this.run(
      this.tx(TxKind.ADD_RECORD, author, {
        record: rid(name),
        patient: patient.id,
        resourceType,
        commitment: sha256Parts([utf8('commitment'), utf8(name)]),
        locator: utf8(`vault://${name}`),
        custodian: custodian.id,
        purpose: 1,
      }),
    );
  }
}

const STATUS = ['OK', 'FAILED', 'DENIED'];

/**
 * `tx` never reaches a block: the sender rule refuses it with `code` on the current state (as
 * mempool admission does), and a block carrying it is invalid for every validator (BLOCK_BAD_TX
 * with that reason). Nothing is committed.
 */
export function expectRefused(c: TestChain, tx: Tx, code: string): void {
  const body = c.machine.kind(tx.kind)?.decodeBody(tx.body, tx);
  assert.is(c.machine.senderError?.(c.store, CHAIN_ID, tx, body) ?? null, code, 'sender rule');
  const bctx = {
    chainId: CHAIN_ID,
    height: c.height + 1,
    time: c.time + 1000,
    proposer: c.orgs[0]?.id ?? new Uint8Array(32),
    params: c.params,
  };
  try {
    executeBlock(c.machine, c.store, bctx, [tx]);
    assert.unreachable('a block carrying it executed');
  } catch (err) {
    assert.ok(isCoded(err, BlockErrorCode.BAD_TX), String(err));
    assert.is((err as { meta: { reason?: string } }).meta.reason, code);
  }
  // the builder leaves it out
  const built = executeBlock(c.machine, c.store, bctx, [tx], { drop: true });
  assert.is(built.txs.length, 0);
  assert.is(built.dropped[0]?.code, code);
}

export function expectOk(r: Receipt): void {
  assert.is(`${STATUS[r.status]} ${r.code}`, 'OK ', 'expected OK');
}

export function expectDenied(r: Receipt, code: string): void {
  assert.is(`${STATUS[r.status]} ${r.code}`, `DENIED ${code}`);
}

export function expectFailed(r: Receipt, code: string): void {
  assert.is(`${STATUS[r.status]} ${r.code}`, `FAILED ${code}`);
}

export const outcome = (r: Receipt): string => `${STATUS[r.status]}${r.code === '' ? '' : ` ${r.code}`}`;
export { TxStatus };
