/**
 * JSON-RPC 2.0 conformance of a running node (a real `medchain start` process), over HTTP and
 * WebSocket: single calls, batches, notifications, every standard error, domain errors with their
 * stable numbers, rpc.discover listing every method, subscriptions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeMethods } from '../../rpc/api/index.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { loud } from '../helpers/hooks.js';
import { TestNet } from '../helpers/procs.js';
import { call, post, type RpcReply, WsClient } from './helpers.js';

let net: TestNet;
let url: string;
let wsUrl: string;

test.before(
  loud('rpc/node-conformance', async () => {
    net = await TestNet.create(1, 200);
    net.startAll();
    await net.waitHeight(0, 1, 30_000);
    url = net.nodes[0]?.rpc as string;
    wsUrl = url.replace('http', 'ws');
  }),
);

test.after(async () => {
  await net?.close();
});

const ZERO = `0x${'00'.repeat(32)}`;
const send = (body: unknown) => post(url, typeof body === 'string' ? body : JSON.stringify(body));

// ---- HTTP ----

test('single call: result with the same id (number and string ids)', async () => {
  const r = await call(url, 'chain_getStatus');
  assert.is(r.jsonrpc, '2.0');
  assert.is((r.result as { chainId: string }).chainId, 'test-devnet');
  const s = (await send({ jsonrpc: '2.0', id: 'abc', method: 'chain_getStatus' })).json as RpcReply;
  assert.is(s.id, 'abc');
  assert.ok(s.result);
  assert.is(s.error, undefined);
});

test('params by position and by name are equivalent', async () => {
  const byPos = await call(url, 'chain_getHeader', [1]);
  const byName = await call(url, 'chain_getHeader', { block: 1 });
  assert.equal(byPos.result, byName.result);
});

test('-32700 parse error, id null', async () => {
  const r = (await send('{"jsonrpc":"2.0","method":')).json as RpcReply;
  assert.is(r.error?.code, -32700);
  assert.is(r.id, null);
});

test('-32600 invalid request: wrong version, non-string method, bad id, not an object', async () => {
  for (const bad of [
    { jsonrpc: '1.0', id: 1, method: 'chain_getStatus' },
    { jsonrpc: '2.0', id: 1, method: 5 },
    { jsonrpc: '2.0', id: { x: 1 }, method: 'chain_getStatus' },
    { jsonrpc: '2.0', id: 1, method: 'chain_getStatus', params: 'x' },
    42,
  ]) {
    const r = (await send(bad)).json as RpcReply;
    assert.is(r.error?.code, -32600, JSON.stringify(bad));
  }
});

test('-32601 method not found', async () => {
  const r = await call(url, 'chain_nope');
  assert.is(r.error?.code, -32601);
});

test('-32602 invalid params: wrong types, missing, unknown, too many', async () => {
  const cases: unknown[] = [
    { grantee: 'doctor', record: ZERO, action: 'read', purpose: 'TREAT' },
    { grantee: ZERO, record: ZERO, action: 'delete', purpose: 'TREAT' },
    { grantee: ZERO, record: ZERO, action: 'read', purpose: 'GOSSIP' },
    { grantee: ZERO, record: ZERO, action: 'read' },
    { grantee: ZERO, record: ZERO, action: 'read', purpose: 'TREAT', extra: 1 },
    [ZERO, ZERO, 'read', 'TREAT', true, 'surplus'],
    [1, ZERO, 'read', 'TREAT'],
  ];
  for (const params of cases) {
    const r = await call(url, 'access_check', params);
    assert.is(r.error?.code, -32602, JSON.stringify(params));
    assert.is(r.error?.data?.code, 'INVALID_PARAMS');
  }
  const page = await call(url, 'audit_query', { patient: ZERO, page: { limit: 100_000 } });
  assert.is(page.error?.code, -32602);
});

test('domain errors: stable numbers with the string code in data, no PHI', async () => {
  const c = await call(url, 'consent_get', [ZERO]);
  assert.equal(c.error, { code: 4001, message: 'CONSENT_NOT_FOUND', data: { code: 'CONSENT_NOT_FOUND' } });
  const b = await call(url, 'chain_getBlock', [1_000_000]);
  assert.is(b.error?.code, 1001);
  assert.is(b.error?.data?.code, 'CHAIN_BLOCK_NOT_FOUND');
  const tx = await call(url, 'tx_submit', ['0x00']);
  assert.is(tx.error?.data?.code, 'TX_MALFORMED');
  assert.is(tx.error?.code, 2011);
  const a = await call(url, 'audit_query', [ZERO, ZERO]);
  assert.is(a.error?.code, 6003);
  const cur = await call(url, 'audit_disclosures', { patient: ZERO, page: { from: 10, to: 5 } });
  assert.is(cur.error?.code, 6002);
});

test('chain_getValidators at a block: the set its header names; unknown heights CHAIN_BLOCK_NOT_FOUND', async () => {
  const now = (await call(url, 'chain_getValidators')).result;
  const at1 = (await call(url, 'chain_getValidators', { block: 1 })).result;
  assert.equal(at1, now, 'one validator, never changed');
  const far = await call(url, 'chain_getValidators', { block: 1_000_000 });
  assert.is(far.error?.data?.code, 'CHAIN_BLOCK_NOT_FOUND');
});

test('a read answers for an unknown subject instead of failing', async () => {
  const d = await call(url, 'access_check', [ZERO, ZERO, 'read', 'TREAT']);
  assert.is((d.result as { granted: boolean; code: string }).granted, false);
  assert.is((d.result as { code: string }).code, 'UNKNOWN_IDENTITY');
  const q = await call(url, 'audit_disclosures', [ZERO]);
  assert.equal((q.result as { disclosures: unknown[] }).disclosures, []);
});

test('notification: no response (204), even for an unknown method or bad params', async () => {
  for (const n of [
    { jsonrpc: '2.0', method: 'chain_getStatus' },
    { jsonrpc: '2.0', method: 'chain_nope' },
    { jsonrpc: '2.0', method: 'access_check', params: [1] },
  ]) {
    const r = await send(n);
    assert.is(r.status, 204);
    assert.is(r.text, '');
  }
});

test('batch: replies for calls only, invalid members answered one by one', async () => {
  const r = await send([
    { jsonrpc: '2.0', id: 1, method: 'chain_getStatus' },
    { jsonrpc: '2.0', method: 'chain_getStatus' },
    { foo: 'bar' },
    { jsonrpc: '2.0', id: 2, method: 'chain_nope' },
    { jsonrpc: '2.0', id: 3, method: 'access_check', params: [ZERO, ZERO, 'read', 'TREAT', false] },
    { jsonrpc: '2.0', id: 4, method: 'consent_get', params: [ZERO] },
  ]);
  const replies = r.json as RpcReply[];
  assert.ok(Array.isArray(replies));
  assert.is(replies.length, 5);
  const byId = new Map(replies.map((x) => [x.id, x]));
  assert.ok(byId.get(1)?.result);
  assert.is(byId.get(null)?.error?.code, -32600);
  assert.is(byId.get(2)?.error?.code, -32601);
  assert.is((byId.get(3)?.result as { granted: boolean } | undefined)?.granted, false);
  assert.is(byId.get(4)?.error?.code, 4001);
});

test('empty batch is one -32600; batch of notifications has no body; non-object members are invalid', async () => {
  const e = (await send([])).json as RpcReply;
  assert.is(e.error?.code, -32600);
  const n = await send([
    { jsonrpc: '2.0', method: 'chain_getStatus' },
    { jsonrpc: '2.0', method: 'net_peers' },
  ]);
  assert.is(n.status, 204);
  assert.is(n.text, '');
  const bad = (await send([1, 2])).json as RpcReply[];
  assert.is(bad.length, 2);
  for (const x of bad) assert.is(x.error?.code, -32600);
});

test('rpc.discover lists every node method with its params, result and error numbers', async () => {
  const r = await call(url, 'rpc.discover');
  const doc = r.result as {
    openrpc: string;
    methods: {
      name: string;
      params: { name: string; schema: unknown }[];
      result: unknown;
      errors?: { code: number; data?: unknown }[];
    }[];
  };
  assert.match(doc.openrpc, /^1\./);
  const names = new Set(doc.methods.map((m) => m.name));
  const expected = nodeMethods({} as NodeApi).map((m) => m.name);
  for (const n of expected) assert.ok(names.has(n), n);
  for (const n of [
    'identity_get',
    'credential_list',
    'credential_verify',
    'record_get',
    'record_listByPatient',
    'consent_get',
    'consent_listByPatient',
    'consent_listByGrantee',
    'access_check',
    'audit_query',
    'audit_disclosures',
  ])
    assert.ok(names.has(n), n);
  const check = doc.methods.find((m) => m.name === 'access_check');
  assert.equal(
    check?.params.map((p) => p.name),
    ['grantee', 'record', 'action', 'purpose', 'proof'],
  );
  const cg = doc.methods.find((m) => m.name === 'consent_get');
  assert.ok(JSON.stringify(cg?.errors).includes('4001'));
});

test('subscribe over HTTP is refused with -32009', async () => {
  const r = await call(url, 'subscribe', ['newHeads']);
  assert.is(r.error?.code, -32009);
});

// ---- WebSocket ----

test('ws: single, batch, notification, parse error', async () => {
  const ws = await WsClient.connect(wsUrl);
  try {
    const s = await ws.call('chain_getStatus');
    assert.is((s.result as { chainId: string }).chainId, 'test-devnet');
    ws.send([
      { jsonrpc: '2.0', id: 'b1', method: 'chain_getStatus' },
      { jsonrpc: '2.0', method: 'chain_getStatus' },
      { jsonrpc: '2.0', id: 'b2', method: 'chain_nope' },
    ]);
    const batch = (await ws.take((m) => Array.isArray(m))) as RpcReply[];
    assert.is(batch.length, 2);
    assert.is(batch.find((x) => x.id === 'b2')?.error?.code, -32601);
    ws.send({ jsonrpc: '2.0', method: 'chain_getStatus' });
    ws.send('{not json');
    const pe = (await ws.take()) as RpcReply;
    assert.is(pe.error?.code, -32700);
    assert.is(pe.id, null);
    // The notification produced nothing: the parse error was the next message.
    assert.is(ws.pending, 0);
    const bad = await ws.call('access_check', { grantee: 1 });
    assert.is(bad.error?.code, -32602);
  } finally {
    await ws.close();
  }
});

test('ws: subscriptions to newHeads and filtered events; unsubscribe', async () => {
  const ws = await WsClient.connect(wsUrl);
  try {
    const sub = await ws.call('subscribe', ['newHeads']);
    const id = sub.result as string;
    const n = await ws.notification(id, 5000);
    assert.ok((n.result as { height: number }).height >= 1);
    const un = await ws.call('unsubscribe', [id]);
    assert.is(un.result, true);
    const ev = await ws.call('subscribe', ['events', { patient: ZERO, kinds: ['access'] }]);
    assert.type(ev.result, 'string');
    const badFilter = await ws.call('subscribe', ['events', { patient: 5 }]);
    assert.is(badFilter.error?.code, -32602);
    const unknownTopic = await ws.call('subscribe', ['nope']);
    assert.ok(unknownTopic.error);
  } finally {
    await ws.close();
  }
});

test.run();
