/**
 * The operations listener on real node processes: /metrics parses and moves while blocks are
 * made, /readyz flips to 503 when peers are lost or the node is behind, and back to 200.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import { accountFromSecret, generateAccount, TxFactory } from '../../src/client/index.js';
import { toHex } from '../../src/codec/bytes.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../../src/version.js';
import { loud } from '../helpers/hooks.js';
import { addFullNode, rpc, TestNet, until } from '../helpers/procs.js';
import { type Exposition, parseExposition, value } from './exposition.js';
import { enableOps, opsPorts } from './ops-ports.js';

let net: TestNet;
const ops: string[] = [];
const TOKEN = 'ops-test-token';
const FULL = 4;

async function scrape(i: number, token?: string): Promise<Exposition> {
  const res = await fetch(`${ops[i]}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

async function ready(i: number, query = ''): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`${ops[i]}/readyz${query}`);
  const body = (await res.json()) as { reasons: string[] };
  return { status: res.status, reasons: body.reasons };
}

test.before(
  loud('ops/devnet-ops', async () => {
    net = await TestNet.create(4);
    await addFullNode(net);
    const ports = await opsPorts(net, 5);
    for (const [i, n] of net.nodes.entries()) {
      await enableOps(n.home, ports[i] as number, i === 1 ? TOKEN : undefined);
      ops.push(`http://127.0.0.1:${ports[i]}`);
    }
    for (let i = 0; i < 4; i++) net.start(i);
  }),
);

test.after(async () => {
  await net?.close();
});

test('/metrics on a validator parses as Prometheus exposition and the main series move as blocks are made', async () => {
  await net.waitHeight(0, 3, 60_000);
  const before = await scrape(0);
  const m = await readDevnet(net.dir);
  const { chainId, nodeVersion, protocolVersion } = await rpc<{
    chainId: string;
    nodeVersion: string;
    protocolVersion: number;
  }>(net.nodes[0]?.rpc as string, 'chain_getStatus');
  assert.is(nodeVersion, NODE_VERSION);
  assert.is(protocolVersion, PROTOCOL_VERSION);
  const org = accountFromSecret(Uint8Array.from(Buffer.from(m.nodes[0]?.orgSecretKey as string, 'hex')));
  const tx = new TxFactory({ chainId, account: org }).registerPractitioner(generateAccount());
  await rpc(net.nodes[0]?.rpc as string, 'tx_submit', [`0x${toHex(tx.bytes)}`]);
  await rpc(net.nodes[0]?.rpc as string, 'tx_submit', ['0x00']).catch(() => undefined);
  const after = await until('the tx committed and counted', 60_000, async () => {
    const e = await scrape(0);
    return (value(e, 'medchain_txs_committed_total') ?? 0) >= 1 ? e : undefined;
  });
  const grew = (name: string, labels: Record<string, string> = {}): void => {
    const a = value(after, name, labels) ?? 0;
    const b = value(before, name, labels) ?? 0;
    assert.ok(a > b, `${name} ${JSON.stringify(labels)} moved (${b} -> ${a})`);
  };
  grew('medchain_chain_head_height');
  grew('medchain_chain_finalized_height');
  grew('medchain_blocks_committed_total');
  grew('medchain_block_interval_seconds_count');
  grew('medchain_block_finality_seconds_count');
  grew('medchain_consensus_commit_round_count');
  grew('medchain_block_commit_seconds_count');
  grew('medchain_consensus_height_phase_seconds_count', { phase: 'committed' });
  grew('medchain_consensus_height_phase_seconds_count', { phase: 'prevote' });
  grew('medchain_validator_signed_blocks_total');
  grew('medchain_mempool_admissions_total', { result: 'admitted' });
  grew('medchain_rpc_requests_total', { method: 'tx_submit', outcome: 'ok' });
  grew('medchain_p2p_gossip_messages_total', { topic: 'vote', result: 'accept' });
  grew('medchain_verifier_items_total');
  assert.is(value(after, 'medchain_p2p_peers', { state: 'handshaken' }), 3);
  assert.is(value(after, 'medchain_validator_active'), 1);
  assert.is(value(after, 'medchain_consensus_validators'), 4);
});

test('/metrics needs the bearer token when one is configured; probes stay open', async () => {
  await net.waitHeight(1, 1, 60_000);
  assert.is((await fetch(`${ops[1]}/metrics`)).status, 401);
  assert.is((await fetch(`${ops[1]}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  await scrape(1, TOKEN);
  assert.is((await fetch(`${ops[1]}/livez`)).status, 200);
  assert.is((await fetch(`${ops[1]}/backup`, { method: 'POST' })).status, 401);
});

test('/readyz flips to 503 TOO_FEW_PEERS and STALLED when the peers are lost, and back to 200 after', async () => {
  const q = '?maxStallSeconds=3';
  await until('node0 ready', 60_000, async () => ((await ready(0, q)).status === 200 ? true : undefined));
  await Promise.all([1, 2, 3].map((i) => net.kill(i)));
  const lost = await until('node0 not ready', 60_000, async () => {
    const r = await ready(0, q);
    return r.status === 503 && r.reasons.includes('STALLED') ? r : undefined;
  });
  assert.ok(lost.reasons.includes('TOO_FEW_PEERS'), lost.reasons.join());
  for (const i of [1, 2, 3]) net.start(i);
  await until('node0 ready again', 90_000, async () => ((await ready(0, q)).status === 200 ? true : undefined));
});

test('/readyz says BEHIND while a new node syncs a longer chain, then 200 once it caught up', async () => {
  await net.waitHeight(0, 60, 120_000);
  net.start(FULL);
  const seen = new Set<string>();
  await until('full node ready', 120_000, async () => {
    const r = await ready(FULL, '?maxBlocksBehind=2');
    for (const x of r.reasons) seen.add(x);
    return r.status === 200 ? true : undefined;
  }).catch((err: unknown) => {
    throw new Error(`${String(err)}; full node output: ${net.nodes[FULL]?.output.join('').slice(-2000)}`);
  });
  assert.ok(seen.has('BEHIND'), `reasons seen: ${[...seen].join()}`);
  const e = await scrape(FULL);
  assert.is(value(e, 'medchain_validator_active'), 0);
});

test.run();
