import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlockBudget, defaultBlockBudgetOptions } from '../../consensus/block-budget.js';
import { ChainExecutor } from '../../consensus/chain-executor.js';
import { type AddResult, defaultMempoolOptions, Mempool, type MempoolOptions } from '../../consensus/mempool.js';
import { VerifiedTxs } from '../../consensus/verified-txs.js';
import { type Block, decodeBlock, encodeBlock } from '../../src/chain/block.js';
import { merkleRoot } from '../../src/chain/merkle.js';
import { assembleTx, type Tx, TxErrorCode } from '../../src/chain/tx.js';
import { u32be } from '../../src/codec/bytes.js';
import { signFast, verify } from '../../src/crypto/ed25519.js';
import { buildTx, registerPatient, rotateKey } from '../../src/tx/builders.js';
import { Action, ALL_TYPES_MASK, Purpose, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import { signTx } from '../../src/tx/sign.js';
import { ChainState } from '../../state/chain.js';
import { medicalStateMachine } from '../../state/domain/medical-machine.js';
import { type Actor, actor, TestChain, testParams } from '../state/domain/helpers.js';

const genesis = TestChain.genesisFor(2, 2, testParams());
const CHAIN = genesis.chainId;
const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Node {
  chain: ChainState;
  mempool: Mempool;
  executor: ChainExecutor;
  verified: { n: number };
  /** Txs the body check decoded (its kind's decodeBody runs once per decoded tx). */
  bodyDecodes: { n: number };
  invalid: string[];
}

async function node(
  opts: Partial<MempoolOptions> = {},
  withRule = true,
  budget?: BlockBudget,
  /** Awaited by every signature check before it answers (to hold a validation mid-way). */
  gate?: () => Promise<void>,
): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-admission-'));
  dirs.push(dir);
  const chain = await ChainState.open({ dir, genesis, machine: medicalStateMachine });
  const verified = { n: 0 };
  const verifyMany = async (items: { msg: Uint8Array; sig: Uint8Array; pk: Uint8Array }[]) => {
    verified.n += items.length;
    await gate?.();
    return items.map((it) => verify(it.sig, it.msg, it.pk));
  };
  const seen = new VerifiedTxs(1000);
  const mempool = new Mempool(
    { ...defaultMempoolOptions, ...opts },
    {
      chainId: CHAIN,
      maxTxLifetimeMs: genesis.params.maxTxLifetimeMs,
      kind: (k) => medicalStateMachine.kind(k),
      isIncluded: (h) => chain.isIncluded(h),
      ...(withRule
        ? { senderError: (tx, body) => medicalStateMachine.senderError?.(chain.store, CHAIN, tx, body) ?? null }
        : {}),
      verifyMany,
      preverified: (tx) => seen.has(tx),
      now: () => chain.head.time,
    },
  );
  const invalid: string[] = [];
  const bodyDecodes = { n: 0 };
  const executor = new ChainExecutor({
    chain,
    mempool,
    verifyMany,
    verified: seen,
    kind: (k) => {
      const h = medicalStateMachine.kind(k);
      if (h === undefined) return undefined;
      return Object.assign(Object.create(h), {
        decodeBody: (body: unknown, tx: Tx) => {
          bodyDecodes.n++;
          return h.decodeBody(body, tx);
        },
      });
    },
    proposerId: () => chain.validators[0]?.id,
    ...(budget ? { budget } : {}),
    onInvalidBlock: (_h, reason) => invalid.push(reason),
  });
  return { chain, mempool, executor, verified, bodyDecodes, invalid };
}

let nonce = 0;
const env = (chain: ChainState, a: Actor, over: Partial<{ signer: Uint8Array }> = {}) => ({
  chainId: CHAIN,
  signer: a.id,
  pubkey: a.pk,
  expiresAt: chain.head.time + 60_000,
  nonce: u32be(nonce++),
  ...over,
});
const org = actor('org-0');

/** Two nodes of one chain, both with alice registered: one proposes, the other judges (its signature checks may be held). */
async function proposerAndValidator(hold?: () => Promise<void>) {
  const proposer = await node();
  const validator = await node({}, true, undefined, hold);
  for (const n of [proposer, validator]) await registered(n.chain, 'alice');
  return { proposer, validator, alice: actor('alice') };
}

/** Commits a block of `txs` as the proposer would, bypassing the mempool (setup only). */
async function commit(chain: ChainState, txs: Tx[]): Promise<void> {
  const time = chain.head.time + 1000;
  const proposer = chain.validators[0]?.id as Uint8Array;
  const exec = chain.execute(time, proposer, txs);
  await chain.commit(
    { header: chain.header(time, proposer, exec), txs: txs.map((t) => t.bytes) },
    exec,
    new Uint8Array(0),
  );
}

async function registered(chain: ChainState, name: string): Promise<Actor> {
  const p = actor(name);
  const f = registerPatient({
    chainId: CHAIN,
    pubkey: p.pk,
    expiresAt: chain.head.time + 60_000,
    org: org.id,
    orgSign: org.sign,
  });
  await commit(chain, [signTx(f, p.sk, signFast)]);
  return p;
}

const grant = (chain: ChainState, a: Actor, over: Partial<{ signer: Uint8Array }> = {}, sk = a.sk): Tx =>
  signTx(
    buildTx(TxKind.GRANT_CONSENT, env(chain, a, over), {
      patient: over.signer ?? a.id,
      grantee: org.id,
      records: [],
      types: ALL_TYPES_MASK,
      actions: Action.READ,
      purposes: 1 << Purpose.TREAT,
      notBefore: 0,
      expiresAt: chain.head.time + 3_600_000,
    }),
    sk,
    signFast,
  );
const code = (r: AddResult | undefined) => (r && !r.ok ? r.code : 'OK');

test('a tx from an unregistered key is refused TX_BAD_SENDER before its signature is verified', async () => {
  const n = await node();
  const stranger = actor('throwaway');
  const [r] = await n.mempool.addMany([grant(n.chain, stranger).bytes]);
  assert.is(code(r), TxErrorCode.BAD_SENDER);
  assert.is(n.verified.n, 0, 'no verify spent');
  assert.is(n.mempool.size, 0);
  await n.chain.close();
});

test("a tx naming another identity's id with its own key is refused (KEY_MISMATCH): it cannot touch the victim's quota", async () => {
  const n = await node({ maxPerSender: 2 });
  const alice = await registered(n.chain, 'alice');
  const mallory = actor('mallory');
  const forged = [grant(n.chain, mallory, { signer: alice.id }), grant(n.chain, mallory, { signer: alice.id })];
  const res = await n.mempool.addMany(forged.map((t) => t.bytes));
  assert.equal(res.map(code), [TxErrorCode.BAD_SENDER, TxErrorCode.BAD_SENDER]);
  const own = await n.mempool.addMany([grant(n.chain, alice).bytes, grant(n.chain, alice).bytes]);
  assert.equal(own.map(code), ['OK', 'OK']);
  await n.chain.close();
});

test('the per-sender quota is keyed by the verified key, not by the claimed signer id', async () => {
  // without the sender rule (a pool in front of any machine), the quota alone must still hold
  const n = await node({ maxPerSender: 2 }, false);
  const alice = await registered(n.chain, 'alice');
  const mallory = actor('mallory');
  const forged = [0, 1, 2].map(() => grant(n.chain, mallory, { signer: alice.id }).bytes);
  assert.equal((await n.mempool.addMany(forged)).map(code), ['OK', 'OK', TxErrorCode.SENDER_LIMIT]);
  const own = await n.mempool.addMany([grant(n.chain, alice).bytes, grant(n.chain, alice).bytes]);
  assert.equal(own.map(code), ['OK', 'OK'], "the victim's quota is untouched");
  await n.chain.close();
});

test('a key rotated between admission and proposal: the builder leaves the old-key tx out and evicts it', async () => {
  const n = await node();
  const alice = await registered(n.chain, 'alice');
  const old = grant(n.chain, alice);
  assert.equal((await n.mempool.addMany([old.bytes])).map(code), ['OK']);
  const k2 = actor('alice-2');
  await commit(n.chain, [signTx(rotateKey(env(n.chain, alice), k2.pk, k2.sign), alice.sk, signFast)]);
  const built = decodeBlock((await n.executor.buildBlock(n.chain.head.height + 1, 0, n.chain.head.time + 1000)).block);
  assert.is(built.txs.length, 0);
  assert.is(n.mempool.size, 0, 'evicted');
  await n.chain.close();
});

test("a Byzantine proposer's block carrying an unregistered sender's tx is invalid for every validator", async () => {
  const n = await node();
  const stranger = actor('throwaway');
  const bad = grant(n.chain, stranger);
  const time = n.chain.head.time + 1000;
  const proposer = n.chain.validators[0]?.id as Uint8Array;
  // what the Byzantine proposer would have to claim: it cannot even execute it
  let threw = '';
  try {
    n.chain.execute(time, proposer, [bad]);
  } catch (err) {
    threw = String((err as { meta?: { reason?: string } }).meta?.reason);
  }
  assert.is(threw, ReasonCode.UNKNOWN_IDENTITY);
  // any header it makes up fails validation (before state roots are even compared): here the
  // honest header of an empty block, with the tx root of the body it carries
  const honest = n.chain.execute(time, proposer, []);
  const header = { ...n.chain.header(time, proposer, honest), txRoot: merkleRoot([bad.bytes]) };
  const block: Block = { header, txs: [bad.bytes] };
  const v = await n.executor.validateBlock(n.chain.head.height + 1, encodeBlock(block));
  assert.is(v.valid, false);
  assert.equal(n.invalid, ['BLOCK_BAD_TX']);
  await n.chain.close();
});

test('the proposer takes no more txs than its block budget allows; the rest wait in the pool', async () => {
  const budget = new BlockBudget({ ...defaultBlockBudgetOptions, initialTxs: 2, minTxs: 1 });
  const n = await node({}, true, budget);
  const alice = await registered(n.chain, 'alice');
  const txs = [0, 1, 2, 3, 4].map(() => grant(n.chain, alice).bytes);
  assert.equal((await n.mempool.addMany(txs)).map(code), ['OK', 'OK', 'OK', 'OK', 'OK']);
  const built = decodeBlock((await n.executor.buildBlock(n.chain.head.height + 1, 0, n.chain.head.time + 1000)).block);
  assert.is(built.txs.length, 2);
  assert.is(n.mempool.size, 5, 'nothing is evicted for the budget');
  await n.chain.close();
});

test('a proposal whose height is committed while its signatures are checked is not reported invalid', async () => {
  // The validator has not seen the proposal's tx (its signature must be checked); while that check
  // runs, the height is committed from a certificate (the same block, as another round decided it).
  // Judged against the new head, every tx would look like a replay (TX_DUPLICATE): no verdict then.
  let release = (): void => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let holding = false;
  const { proposer, validator, alice } = await proposerAndValidator(() => (holding ? held : Promise.resolve()));
  assert.equal((await proposer.mempool.addMany([grant(proposer.chain, alice).bytes])).map(code), ['OK']);
  const height = proposer.chain.head.height + 1;
  const { block, hash } = await proposer.executor.buildBlock(height, 0, proposer.chain.head.time + 1000);
  assert.is(decodeBlock(block).txs.length, 1);
  holding = true;
  const verdict = validator.executor.validateBlock(height, block);
  await validator.executor.commit(height, block, { height, round: 1, blockHash: hash, signatures: [] });
  assert.is(validator.chain.head.height, height);
  release();
  assert.is((await verdict).valid, false, 'no verdict for a height already left');
  assert.equal(validator.invalid, [], 'nothing reported invalid');
  for (const n of [proposer, validator]) await n.chain.close();
});

test('the body check of a proposal reuses the pooled txs (byte-identical) and decodes only the others', async () => {
  const { proposer, validator, alice } = await proposerAndValidator();
  const txs = [0, 1, 2].map(() => grant(proposer.chain, alice));
  assert.equal((await proposer.mempool.addMany(txs.map((t) => t.bytes))).map(code), ['OK', 'OK', 'OK']);
  // the validator has two of them in its pool (gossip), not the third
  assert.equal((await validator.mempool.addMany([txs[0], txs[1]].map((t) => (t as Tx).bytes))).map(code), ['OK', 'OK']);
  const height = proposer.chain.head.height + 1;
  const { block } = await proposer.executor.buildBlock(height, 0, proposer.chain.head.time + 1000);
  assert.is(decodeBlock(block).txs.length, 3);
  validator.bodyDecodes.n = 0;
  validator.verified.n = 0;
  assert.ok((await validator.executor.validateBlock(height, block)).valid);
  assert.is(validator.bodyDecodes.n, 1, 'only the tx the pool did not hold');
  assert.is(validator.verified.n, 1);
  for (const n of [proposer, validator]) await n.chain.close();
});

test("a proposal's tx verified by a validator is not verified again (another round's proposal, its gossip copy); a differently signed copy is", async () => {
  const { proposer, validator, alice } = await proposerAndValidator();
  const tx = grant(proposer.chain, alice);
  assert.equal((await proposer.mempool.addMany([tx.bytes])).map(code), ['OK']);
  const height = proposer.chain.head.height + 1;
  const time = proposer.chain.head.time + 1000;
  const r0 = await proposer.executor.buildBlock(height, 0, time);
  const r1 = await proposer.executor.buildBlock(height, 1, time + 1); // another round: another block, the same tx
  const before = validator.verified.n;
  assert.ok((await validator.executor.validateBlock(height, r0.block)).valid);
  assert.is(validator.verified.n, before + 1, 'verified once while judging the proposal');
  const sig = new Uint8Array(tx.signature);
  sig[0] = (sig[0] ?? 0) ^ 1;
  const forged = assembleTx(tx, tx.payload, sig).bytes;
  assert.equal((await validator.mempool.addMany([forged])).map(code), [TxErrorCode.BAD_SIGNATURE]);
  assert.is(validator.verified.n, before + 2, 'a copy signed differently is verified on its own');
  assert.ok((await validator.executor.validateBlock(height, r1.block)).valid);
  assert.is(validator.verified.n, before + 2, 'not again for the next round');
  assert.equal((await validator.mempool.addMany([tx.bytes])).map(code), ['OK']);
  assert.is(validator.verified.n, before + 2, 'nor when its gossip copy arrives');
  for (const n of [proposer, validator]) await n.chain.close();
});

test('a height is timed for the block budget only when txs were already waiting at the previous commit', async () => {
  const budget = new BlockBudget({ ...defaultBlockBudgetOptions, initialTxs: 2, minTxs: 1, minSampleTxs: 1 });
  const n = await node({}, true, budget);
  const alice = await registered(n.chain, 'alice');
  const next = async (): Promise<void> => {
    const height = n.chain.head.height + 1;
    const { block, hash } = await n.executor.buildBlock(height, 0, n.chain.head.time + 1000);
    await n.executor.commit(height, block, { height, round: 0, blockHash: hash, signatures: [] });
  };
  await n.mempool.addMany([grant(n.chain, alice).bytes]);
  await next(); // the pool is empty after it: the next height starts idle
  await n.mempool.addMany([grant(n.chain, alice).bytes, grant(n.chain, alice).bytes, grant(n.chain, alice).bytes]);
  await next(); // its height began idle (waiting for txs): not a cost; 1 tx still waits after it
  assert.is(budget.intervalMsPerTxEstimate, undefined);
  await next(); // began with txs waiting: timed
  assert.ok(budget.intervalMsPerTxEstimate !== undefined);
  await n.chain.close();
});

test.run();
