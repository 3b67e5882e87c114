/**
 * A node whose verifier is backed up answers tx_submit with TX_NODE_BUSY (2022) at once, instead of
 * queueing the check until the handler times out; the SDK's submit retries it after a pause.
 */
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import { registerNodeApi } from '../../rpc/api/index.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { RpcServer } from '../../rpc/server.js';
import { MedchainClient } from '../../src/client/client.js';
import { toHex, utf8 } from '../../src/codec/bytes.js';
import { verify } from '../../src/crypto/ed25519.js';
import type { ChainState } from '../../state/chain.js';
import { kvMachine, kvTx } from '../helpers/kv-machine.js';
import { call } from './helpers.js';

const CHAIN = 'busy-test';
const TOKEN = 'busy-test-token';

async function busyNode(backlog: () => { signatures: number; waitMs: number }) {
  const mempool = new Mempool(
    { ...defaultMempoolOptions, maxVerifyBacklog: 100 },
    {
      chainId: CHAIN,
      maxTxLifetimeMs: 600_000,
      kind: (k) => kvMachine.kind(k),
      isIncluded: () => false,
      verifyMany: async (items) => items.map((it) => verify(it.sig, it.msg, it.pk)),
      verifyBacklog: backlog,
      now: () => Date.now(),
    },
  );
  const chain = { chainId: CHAIN, genesisHash: new Uint8Array(32), head: { height: 0 } } as unknown as ChainState;
  const api: NodeApi = {
    chain,
    events: new EventEmitter() as unknown as NodeApi['events'],
    submitTx: (bytes) => mempool.add(bytes),
    peers: () => [],
    syncing: () => false,
    mempoolSize: () => mempool.size,
  };
  const server = new RpcServer({ port: 0, authToken: TOKEN, rateLimit: null });
  registerNodeApi(server, api);
  const { url } = await server.listen();
  return { url, mempool, close: () => server.close() };
}

const tx = (i: number) => kvTx(CHAIN, utf8(`k${i}`), utf8(`v${i}`), Date.now() + 60_000);

test('tx_submit on a node at its verify backlog bound fails with 2022 TX_NODE_BUSY, nothing admitted', async () => {
  const n = await busyNode(() => ({ signatures: 100, waitMs: 0 }));
  try {
    const r = await call(n.url, 'tx_submit', [`0x${toHex(tx(1).bytes)}`], {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.is(r.error?.code, 2022);
    assert.is((r.error?.data as { code?: string } | undefined)?.code, 'TX_NODE_BUSY');
    assert.is(n.mempool.size, 0);
  } finally {
    await n.close();
  }
});

test('the SDK submit retries TX_NODE_BUSY and resolves once the node has room', async () => {
  let asked = 0;
  // The oldest check waited 5 s at the first two submissions, then the verifier caught up.
  const n = await busyNode(() => ({ signatures: 0, waitMs: ++asked <= 2 ? 5_000 : 0 }));
  const client = MedchainClient.http(n.url, { token: TOKEN });
  try {
    const t = tx(2);
    assert.is(await client.submit(t), `0x${toHex(t.hash)}`);
    assert.is(asked, 3);
    assert.is(n.mempool.size, 1);
  } finally {
    await client.close();
    await n.close();
  }
});

test.run();
