import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommittedBlock } from '../../consensus/chain-executor.js';
import { NodeMetrics, validatorLabel } from '../../src/ops/metrics.js';
import { parseExposition, value } from './exposition.js';

const id = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const validators = [{ id: id(1) }, { id: id(2) }, { id: id(3) }, { id: id(4) }];

function block(height: number, time: number, round: number, signers: number[], txs: Uint8Array[] = []): CommittedBlock {
  return {
    block: { header: { height, time } },
    exec: { txs: txs.map((hash) => ({ hash })) },
    cert: { height, round, signatures: signers.map((validatorIndex) => ({ validatorIndex })) },
  } as unknown as CommittedBlock;
}

function attached(): NodeMetrics {
  const m = new NodeMetrics();
  m.attach({
    headHeight: () => 7,
    validators: () => 4,
    isValidator: () => true,
    peers: () => ({ connected: 3, handshaken: 2, configured: 3, bestHeight: 9 }),
    syncing: () => false,
    mempool: () => ({ txs: 5, bytes: 1234 }),
    admissions: () => [
      [{ result: 'admitted' }, 10],
      [{ result: 'TX_BAD_SIGNATURE' }, 2],
    ],
    gossip: () => [[{ topic: 'vote', result: 'accept', reason: 'validator' }, 42]],
    verifier: () => ({ queued: 1, backlog: 40, waitMs: 250, jobs: 3, items: 96 }),
    wsConnections: () => 2,
  });
  return m;
}

test('the audit feed: delivered height and lag behind the head, read at scrape time', async () => {
  const m = attached();
  const feed = { deliveredHeight: 3 };
  let head = 7;
  m.attachFeed(feed, () => head);
  let e = parseExposition(await m.scrape());
  assert.is(value(e, 'medchain_fhir_feed_delivered_height'), 3);
  assert.is(value(e, 'medchain_fhir_feed_lag_blocks'), 4);
  feed.deliveredHeight = 9;
  head = 9;
  e = parseExposition(await m.scrape());
  assert.is(value(e, 'medchain_fhir_feed_lag_blocks'), 0);
});

test('scrape parses as Prometheus exposition with the scrape-time series', async () => {
  const e = parseExposition(await attached().scrape());
  assert.is(value(e, 'medchain_chain_head_height'), 7);
  assert.is(value(e, 'medchain_sync_lag_blocks'), 2);
  assert.is(value(e, 'medchain_p2p_peers', { state: 'handshaken' }), 2);
  assert.is(value(e, 'medchain_mempool_bytes'), 1234);
  assert.is(value(e, 'medchain_mempool_admissions_total', { result: 'TX_BAD_SIGNATURE' }), 2);
  assert.is(value(e, 'medchain_p2p_gossip_messages_total', { topic: 'vote', result: 'accept' }), 42);
  assert.is(value(e, 'medchain_verifier_items_total'), 96);
  assert.is(value(e, 'medchain_verifier_backlog_signatures'), 40);
  assert.is(value(e, 'medchain_verifier_wait_seconds'), 0.25);
  assert.is(value(e, 'medchain_rpc_ws_connections'), 2);
  assert.is(value(e, 'medchain_node_info'), 1);
  assert.is(e.types.get('medchain_block_interval_seconds'), 'histogram');
  assert.ok(value(e, 'process_resident_memory_bytes') !== undefined, 'default process metrics');
});

test('mirrored counters report the source total at every scrape, not a running sum', async () => {
  const m = attached();
  await m.scrape();
  const e = parseExposition(await m.scrape());
  assert.is(value(e, 'medchain_mempool_admissions_total', { result: 'admitted' }), 10);
});

test('a commit moves heights, intervals, rounds, tx finality and missed precommits per validator', async () => {
  const m = attached();
  const tx = id(9);
  const unsampled = id(0xf0); // finality is sampled by hash: 1 tx in 8
  m.txSubmitted(tx);
  m.txSubmitted(unsampled);
  m.committed(block(1, 1000, 0, [0, 1, 2, 3]), validators, id(4));
  m.committed(block(2, 3000, 1, [0, 1, 2], [tx, unsampled]), validators, id(4));
  const e = parseExposition(await m.scrape());
  assert.is(value(e, 'medchain_blocks_committed_total'), 2);
  assert.is(value(e, 'medchain_txs_committed_total'), 2);
  assert.is(value(e, 'medchain_block_interval_seconds_count'), 1);
  assert.is(value(e, 'medchain_block_interval_seconds_sum'), 2);
  assert.is(value(e, 'medchain_consensus_commit_round_sum'), 1);
  assert.is(value(e, 'medchain_tx_finality_seconds_count'), 1);
  assert.is(value(e, 'medchain_consensus_validator_missed_precommits_total', { validator: validatorLabel(id(4)) }), 1);
  assert.is(
    value(e, 'medchain_consensus_validator_missed_precommits_total', { validator: validatorLabel(id(1)) }),
    undefined,
  );
  assert.is(value(e, 'medchain_validator_signed_blocks_total'), 1);
  assert.is(value(e, 'medchain_validator_missed_blocks_total'), 1);
});

test('blocks committed while syncing move heights and counters but not finality or interval', async () => {
  const m = new NodeMetrics();
  m.attach({
    headHeight: () => 2,
    validators: () => 4,
    isValidator: () => false,
    peers: () => ({ connected: 1, handshaken: 1, configured: 1, bestHeight: 100 }),
    syncing: () => true,
    mempool: () => ({ txs: 0, bytes: 0 }),
  });
  m.committed(block(1, 1000, 0, [0, 1, 2]), validators);
  m.committed(block(2, 2000, 0, [0, 1, 2]), validators);
  const e = parseExposition(await m.scrape());
  assert.is(value(e, 'medchain_blocks_committed_total'), 2);
  assert.is(value(e, 'medchain_block_finality_seconds_count'), 0);
  assert.is(value(e, 'medchain_block_interval_seconds_count'), 0);
});

test('no label value looks like an id longer than a validator label (no tx, patient or peer ids)', async () => {
  const m = attached();
  m.committed(block(1, 1000, 0, [0]), validators, id(1));
  m.rpcCall('chain_getStatus', 'ok', 0.001);
  for (const s of parseExposition(await m.scrape()).samples)
    for (const v of Object.values(s.labels)) assert.ok(!/^(0x)?[0-9a-f]{20,}$/.test(v) && !v.startsWith('12D3Koo'), v);
});

test('two registries in one process do not collide (metrics are per node, not global)', async () => {
  const a = attached();
  const b = attached();
  a.rpcCall('chain_getStatus', 'ok', 0.01);
  const eb = parseExposition(await b.scrape());
  assert.is(value(eb, 'medchain_rpc_requests_total', { method: 'chain_getStatus' }), undefined);
  const ea = parseExposition(await a.scrape());
  assert.is(value(ea, 'medchain_rpc_requests_total', { method: 'chain_getStatus', outcome: 'ok' }), 1);
});

test('vault requests by outcome appear once a vault is attached', async () => {
  const m = attached();
  m.attachVault(() => [
    [{ outcome: 'ok' }, 3],
    [{ outcome: 'VAULT_DENIED' }, 1],
  ]);
  const e = parseExposition(await m.scrape());
  assert.is(value(e, 'medchain_vault_requests_total', { outcome: 'VAULT_DENIED' }), 1);
});

test('the exposition parser refuses what a scraper would refuse', () => {
  assert.throws(() => parseExposition('foo 1\n'), /without a TYPE/);
  assert.throws(() => parseExposition('# TYPE foo gauge\nfoo{a="x} 1\n'), /unterminated|bad/);
  assert.throws(() => parseExposition('# TYPE foo gauge\nfoo one\n'), /bad value/);
});

test.run();
