/**
 * The node's own wiring (src/node/build.ts) under a flood of admission work: a proposal's signature
 * checks overtake it, and new submissions are refused TX_NODE_BUSY until it drains, so a validator
 * keeps judging proposals (and the chain keeps committing) however much load its clients send.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { systemClock } from '../../consensus/engine/driver.js';
import { TxErrorCode } from '../../src/chain/tx.js';
import { utf8 } from '../../src/codec/bytes.js';
import { publicKeyOf, randomSecretKey, signFast } from '../../src/crypto/ed25519.js';
import type { VerifyItem } from '../../src/crypto/pool/index.js';
import { createExecutor, createMempool, openChain, type Wiring } from '../../src/node/build.js';
import { defaultNodeConfig, type NodeConfig } from '../../src/node/config.js';
import { NodeEvents } from '../../src/node/events.js';
import { Closers } from '../../src/node/lifecycle.js';
import { createLogger } from '../../src/node/logger.js';
import { defaultNodeOptions } from '../../src/node/options.js';
import { kvGenesis, kvMachine, kvTx } from '../helpers/kv-machine.js';

const CHAIN = 'overload-test';
const MAX_BACKLOG = 256;

async function node(home: string) {
  const w: Wiring = {
    home,
    cfg: { ...defaultNodeConfig, pruning: { ...defaultNodeConfig.pruning, enabled: false } } as NodeConfig,
    opts: { ...defaultNodeOptions, mempool: { ...defaultNodeOptions.mempool, maxVerifyBacklog: MAX_BACKLOG } },
    genesis: kvGenesis(CHAIN),
    machine: kvMachine,
    log: createLogger('error', {}, { destination: { write: () => {} } }),
    signal: new AbortController().signal,
    closers: new Closers(),
    metrics: undefined,
    clock: systemClock,
  };
  const { chain, pool } = await openChain(w);
  const mempool = createMempool(w, chain, pool);
  // The genesis validator's organization: the proposer a block must name.
  const validatorId = () => w.genesis.validators[0]?.org;
  const executor = createExecutor(w, { chain, mempool, pool, events: new NodeEvents(), validatorId });
  return { pool, mempool, executor, close: () => w.closers.closeAll() };
}

test('a proposal is judged ahead of a flood of admission checks, which refuses submissions TX_NODE_BUSY until it drains', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-overload-'));
  const proposer = await node(join(dir, 'a'));
  const validator = await node(join(dir, 'b'));
  try {
    const txs = Array.from({ length: 40 }, (_, i) => kvTx(CHAIN, utf8(`k${i}`), utf8(`v${i}`), Date.now() + 60_000));
    const added = await proposer.mempool.addMany(txs.map((t) => t.bytes));
    assert.ok(added.every((r) => r.ok));
    const { block } = await proposer.executor.buildBlock(1, 0, Date.now());

    const sk = randomSecretKey();
    const msg = utf8('flood');
    const one: VerifyItem = { msg, sig: signFast(msg, sk), pk: publicKeyOf(sk) };
    // Every worker's two slots full (jobs of 1024), and three more jobs queued: the proposal's
    // checks must overtake them, whatever the number of workers.
    const inFlight = validator.pool.workers * 2 * 1024;
    const order: string[] = [];
    const flood = validator.pool.verifyMany(new Array(inFlight + 3 * 1024).fill(one)).then((rs) => {
      order.push('admission flood');
      return rs;
    });
    flood.catch(() => {}); // rejected by close() if an assertion below fails first
    assert.ok(validator.pool.backlog() >= MAX_BACKLOG);

    const refused = await validator.mempool.addMany([kvTx(CHAIN, utf8('late'), utf8('x'), Date.now() + 60_000).bytes]);
    assert.equal(refused, [{ ok: false, code: TxErrorCode.NODE_BUSY }]);

    // Its 40 txs never reached this validator's mempool: all 40 signatures are checked for the proposal.
    const verdict = await validator.executor.validateBlock(1, block).then((v) => {
      order.push('proposal');
      return v;
    });
    assert.ok(verdict.valid);
    assert.ok((await flood).every((ok) => ok));
    assert.equal(order, ['proposal', 'admission flood']);

    assert.is(validator.pool.backlog(), 0);
    const late = await validator.mempool.addMany([kvTx(CHAIN, utf8('late'), utf8('x'), Date.now() + 60_000).bytes]);
    assert.ok(late[0]?.ok, 'admission resumes once the backlog drains');
  } finally {
    await validator.close();
    await proposer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
