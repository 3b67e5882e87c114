import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBundle, encodeBundle, maxBundleBytes, TxBundler } from '../../p2p/bundle.js';
import { TxGossipValidator } from '../../p2p/tx-gossip.js';
import { GossipReason } from '../../p2p/validation.js';
import { TX_MAX_BYTES } from '../../src/chain/tx.js';
import { utf8 } from '../../src/codec/bytes.js';
import { defaultNodeConfig } from '../../src/node/config.js';
import { defaultNodeOptions, nodeOptions } from '../../src/node/options.js';
import { countingKvMempool, kvTx } from '../helpers/kv-machine.js';

const tx = defaultNodeOptions.txGossip;

test('node options: tx-gossip items are single txs (8 KiB) and a full bundle fits one gossip message', () => {
  const o = nodeOptions(defaultNodeConfig);
  assert.is(o.txGossip.maxItemBytes, TX_MAX_BYTES);
  assert.is(TX_MAX_BYTES, 8 * 1024);
  assert.ok(maxBundleBytes(o.txGossip) <= o.p2p.maxGossipBytes);
});

test('node options: config.json sets listen addresses, RPC host/port/token and rate limit over the defaults', () => {
  const cfg = {
    ...defaultNodeConfig,
    p2p: { ...defaultNodeConfig.p2p, listen: ['/ip4/127.0.0.1/tcp/1234'] },
    rpc: { ...defaultNodeConfig.rpc, port: 9999, token: 't', rateLimit: { perSecond: 5, burst: 10 } },
  };
  const o = nodeOptions(cfg, { sync: { pipeline: 1 } });
  assert.equal(o.p2p.listen, ['/ip4/127.0.0.1/tcp/1234']);
  assert.is(o.p2p.maxGossipBytes, defaultNodeOptions.p2p.maxGossipBytes);
  assert.is(o.rpc.port, 9999);
  assert.is(o.rpc.authToken, 't');
  assert.equal(o.rpc.rateLimit, { ...defaultNodeOptions.rpc.rateLimit, perSecond: 5, burst: 10 });
  assert.is(nodeOptions({ ...cfg, rpc: { ...cfg.rpc, rateLimit: null } }).rpc.rateLimit, null);
  assert.is(o.sync.pipeline, 1);
  assert.is(o.sync.maxBlocks, defaultNodeOptions.sync.maxBlocks);
});

test("tx gossip: every bundle the sender builds passes the receiver's limits (any item sizes up to TX_MAX_BYTES)", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: TX_MAX_BYTES }), { maxLength: 1200 }), (sizes) => {
      const sent: Uint8Array[] = [];
      const bundler = new TxBundler(tx, { publish: (b) => sent.push(b) });
      for (const n of sizes) bundler.add(new Uint8Array(n));
      bundler.close();
      let count = 0;
      for (const b of sent) {
        const items = decodeBundle(b, tx);
        assert.ok(items.length <= tx.maxItems);
        count += items.length;
      }
      assert.is(count, sizes.length);
    }),
    { numRuns: 30 },
  );
});

test('tx gossip: one peer message costs at most maxItems signature checks; one item more costs none', async () => {
  const { genesis: g, mempool, verified } = countingKvMempool('gossip-cost');
  const v = new TxGossipValidator(tx, { admit: (xs) => mempool.addMany(xs) });
  const txs = Array.from(
    { length: tx.maxItems + 1 },
    (_, i) => kvTx(g.chainId, utf8(`k${i}`), utf8('v'), g.time + 60_000).bytes,
  );
  assert.is(await v.validate(encodeBundle(txs)), GossipReason.MALFORMED);
  assert.is(verified(), 0, 'refused before any signature check');
  assert.is(await v.validate(encodeBundle(txs.slice(0, tx.maxItems))), 'accept');
  assert.is(verified(), tx.maxItems);
});

test.run();
