import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Block, BlockErrorCode, headerHash } from '../../src/chain/block.js';
import { decodeReceipt, TxStatus } from '../../src/chain/receipt.js';
import { equal, utf8 } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import { ChainErrorCode, ChainState } from '../../state/chain.js';
import { verifyStateProof } from '../../state/smt/proof.js';
import { kvGenesis, kvKey, kvMachine, kvTx } from '../helpers/kv-machine.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'medchain-chain-'));
  dirs.push(d);
  return d;
};
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const genesis = kvGenesis();
const T0 = genesis.time;
const open = (dir: string) => ChainState.open({ dir, genesis, machine: kvMachine });

async function produce(chain: ChainState, txs: ReturnType<typeof kvTx>[], dt = 1000): Promise<Block> {
  const time = chain.head.time + dt;
  const proposer = chain.validators[0]?.id as Uint8Array;
  const exec = chain.execute(time, proposer, txs);
  const block: Block = { header: chain.header(time, proposer, exec), txs: txs.map((t) => t.bytes) };
  await chain.commit(block, exec, new Uint8Array(0));
  return block;
}

test('genesis initialises head 0 with the genesis hash and validators from state', async () => {
  const chain = await open(tmp());
  assert.is(chain.head.height, 0);
  assert.ok(equal(chain.head.hash, chain.genesisHash));
  assert.is(chain.validators.length, 1);
  await chain.close();
});

test('committed blocks and state survive a reopen with the same head and root', async () => {
  const dir = tmp();
  const chain = await open(dir);
  const b1 = await produce(chain, [kvTx(genesis.chainId, utf8('a'), utf8('1'), T0 + 60_000)]);
  await produce(chain, [kvTx(genesis.chainId, utf8('b'), utf8('2'), T0 + 60_000)]);
  const { height, stateRoot, hash } = chain.head;
  await chain.close();
  const again = await open(dir);
  assert.is(again.head.height, height);
  assert.ok(equal(again.head.stateRoot, stateRoot));
  assert.ok(equal(again.head.hash, hash));
  assert.ok(equal(again.store.get(kvKey(utf8('a'))) as Uint8Array, utf8('1')));
  assert.is(await again.blocks.getHeightByHash(headerHash(b1.header)), 1);
  const proof = again.store.prove(kvKey(utf8('b')));
  assert.ok(verifyStateProof(again.head.stateRoot, kvKey(utf8('b')), utf8('2'), proof));
  await again.close();
});

test('two nodes given the same blocks reach the same state root', async () => {
  const a = await open(tmp());
  const b = await open(tmp());
  for (let i = 0; i < 3; i++) {
    const txs = [kvTx(genesis.chainId, utf8(`k${i}`), utf8(`v${i}`), T0 + 60_000)];
    const block = await produce(a, txs);
    const exec = b.execute(block.header.time, block.header.proposer, txs);
    b.checkHeader(block.header, exec);
    await b.commit(block, exec, new Uint8Array(0));
  }
  assert.ok(equal(a.head.stateRoot, b.head.stateRoot));
  assert.ok(equal(a.head.hash, b.head.hash));
  await a.close();
  await b.close();
});

test('a failed transaction is included with FAILED and changes nothing but its receipt', async () => {
  const chain = await open(tmp());
  const before = chain.head.stateRoot;
  const tx = kvTx(genesis.chainId, utf8('x'), new Uint8Array([0xff]), T0 + 60_000);
  await produce(chain, [tx]);
  assert.ok(equal(chain.head.stateRoot, before));
  const [r] = (await chain.blocks.getReceipts(1)) ?? [];
  const receipt = decodeReceipt(r as Uint8Array);
  assert.is(receipt.status, TxStatus.FAILED);
  assert.is(receipt.code, 'KV_REFUSED');
  assert.is(chain.store.get(kvKey(utf8('x'))), undefined);
  await chain.close();
});

test('rejects TX_DUPLICATE: an included transaction cannot be included again, even after restart', async () => {
  const dir = tmp();
  const chain = await open(dir);
  const tx = kvTx(genesis.chainId, utf8('a'), utf8('1'), T0 + 60_000);
  await produce(chain, [tx]);
  assert.is(chain.inclusionError(tx, chain.head.time + 1), 'TX_DUPLICATE');
  await chain.close();
  const again = await open(dir);
  assert.is(again.inclusionError(tx, again.head.time + 1), 'TX_DUPLICATE');
  try {
    again.execute(again.head.time + 1, new Uint8Array(32), [tx]);
    assert.unreachable();
  } catch (err) {
    assert.ok(isCoded(err, BlockErrorCode.BAD_TX));
  }
  await again.close();
});

test('rejects TX_EXPIRED and TX_EXPIRY_TOO_FAR by block time', async () => {
  const chain = await open(tmp());
  const t = chain.head.time + 1000;
  assert.is(chain.inclusionError(kvTx(genesis.chainId, utf8('a'), utf8('1'), t - 1), t), 'TX_EXPIRED');
  assert.is(chain.inclusionError(kvTx(genesis.chainId, utf8('a'), utf8('1'), t), t), null);
  const far = t + genesis.params.maxTxLifetimeMs + 1;
  assert.is(chain.inclusionError(kvTx(genesis.chainId, utf8('a'), utf8('1'), far), t), 'TX_EXPIRY_TOO_FAR');
  assert.is(chain.inclusionError(kvTx('other-chain', utf8('a'), utf8('1'), t), t), 'TX_WRONG_CHAIN');
  await chain.close();
});

test('the same transaction twice in one block is rejected as a duplicate', async () => {
  const chain = await open(tmp());
  const tx = kvTx(genesis.chainId, utf8('a'), utf8('1'), T0 + 60_000);
  assert.throws(
    () => chain.execute(chain.head.time + 1, new Uint8Array(32), [tx, tx]),
    (e: unknown) => isCoded(e, BlockErrorCode.BAD_TX),
  );
  await chain.close();
});

test('a header whose roots differ from our execution is ROOT_MISMATCH', async () => {
  const a = await open(tmp());
  const txs = [kvTx(genesis.chainId, utf8('a'), utf8('1'), T0 + 60_000)];
  const time = a.head.time + 1000;
  const exec = a.execute(time, new Uint8Array(32), txs);
  const header = { ...a.header(time, new Uint8Array(32), exec), stateRoot: new Uint8Array(32) };
  assert.throws(
    () => a.checkHeader(header, exec),
    (e: unknown) => isCoded(e, BlockErrorCode.ROOT_MISMATCH),
  );
  await a.close();
});

test('opening a data dir with another genesis is CHAIN_GENESIS_MISMATCH', async () => {
  const dir = tmp();
  await (await open(dir)).close();
  try {
    await ChainState.open({ dir, genesis: kvGenesis('another-chain'), machine: kvMachine });
    assert.unreachable();
  } catch (err) {
    assert.ok(isCoded(err, ChainErrorCode.GENESIS_MISMATCH));
  }
});

test.run();
