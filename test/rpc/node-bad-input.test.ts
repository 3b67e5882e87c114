/**
 * Hostile input against a running node: oversize bodies, deep JSON, wrong types for every method
 * (property-based), huge batches, slow clients. Each gets a clear JSON-RPC error or is cut off, and
 * the node keeps serving everyone else.
 */
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { nodeMethods } from '../../rpc/api/index.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { TestNet } from '../helpers/procs.js';
import { call, post, type RpcReply, rawSocket } from './helpers.js';

let net: TestNet;
let url: string;

test.before(async () => {
  net = await TestNet.create(1, 200);
  net.startAll();
  await net.waitHeight(0, 1, 30_000);
  url = net.nodes[0]?.rpc as string;
});

test.after(async () => {
  await net?.close();
});

const ZERO = `0x${'00'.repeat(32)}`;

async function healthy(): Promise<void> {
  const r = await call(url, 'chain_getStatus');
  assert.ok(r.result, 'node answers');
}

test('an oversize body gets 413 with -32005, then the node serves others', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tx_submit', params: [`0x${'ab'.repeat(600_000)}`] });
  const r = await post(url, big).catch(() => null);
  // The server may close before reading the whole body; a reply, when there is one, is 413.
  if (r !== null) {
    assert.is(r.status, 413);
    assert.is((r.json as RpcReply).error?.code, -32005);
  }
  await healthy();
});

test('a param beyond its schema bound is -32602, not work', async () => {
  const r = await call(url, 'tx_submit', [`0x${'ab'.repeat(9000)}`]);
  assert.is(r.error?.code, -32602);
});

test('deep JSON is refused before parsing (-32006)', async () => {
  const deep = `{"jsonrpc":"2.0","id":1,"method":"chain_getStatus","params":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
  const r = await post(url, deep);
  assert.is((r.json as RpcReply).error?.code, -32006);
  const deepFilter = `{"jsonrpc":"2.0","id":1,"method":"audit_query","params":{"page":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}}`;
  assert.is(((await post(url, deepFilter)).json as RpcReply).error?.code, -32006);
  await healthy();
});

test('wrong types for every method: always a well-formed reply, never an internal error', async () => {
  const methods = nodeMethods({} as NodeApi).map((m) => m.name);
  const params = fc.oneof(
    fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }),
    fc.dictionary(
      fc.constantFrom('id', 'block', 'hash', 'patient', 'grantee', 'record', 'page', 'kinds', 'timeoutMs', 'x'),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    fc.jsonValue({ maxDepth: 2 }),
  );
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...methods), params, async (method, p) => {
      n++;
      const body = JSON.stringify({ jsonrpc: '2.0', id: n, method, params: p });
      const r = await post(url, body);
      const reply = r.json as RpcReply;
      assert.is(r.status, 200, body.slice(0, 200));
      // params that are neither array nor object make the request invalid (its id may still be echoed).
      assert.ok(reply.id === n || (reply.error?.code === -32600 && reply.id === null), body.slice(0, 200));
      if (reply.error !== undefined) {
        assert.is.not(reply.error.code, -32603, body.slice(0, 200));
        // No echo of what was sent beyond the param name and the schema rule.
        assert.ok(JSON.stringify(reply.error).length < 600);
      }
    }),
    { numRuns: 300, seed: 6 },
  );
  await healthy();
});

test('batches: 101 members are one -32007; 100 access checks answer in one reply', async () => {
  const one = { jsonrpc: '2.0', method: 'access_check', params: [ZERO, ZERO, 'read', 'TREAT', false] };
  const tooMany = Array.from({ length: 101 }, (_, i) => ({ ...one, id: i }));
  const r = (await post(url, JSON.stringify(tooMany))).json as RpcReply;
  assert.is(r.error?.code, -32007);
  const ok = Array.from({ length: 100 }, (_, i) => ({ ...one, id: i }));
  const replies = (await post(url, JSON.stringify(ok))).json as RpcReply[];
  assert.is(replies.length, 100);
  assert.ok(replies.every((x) => (x.result as { granted: boolean }).granted === false));
  await healthy();
});

test('slow clients (trickled headers, a WebSocket that never reads) do not stall others', async () => {
  const u = new URL(url);
  const slow: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const s = await rawSocket(url);
    s.on('error', () => {});
    s.write(
      `POST / HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`,
    );
    slow.push(s);
  }
  const ws = new WebSocket(url.replace('http', 'ws'));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: ['newHeads'] }));
  // Stop reading: the server's sends pile up in its buffer, bounded by wsMaxBufferedBytes.
  (ws as unknown as { _socket: Socket })._socket.pause();
  for (let i = 0; i < 20; i++) ws.send(JSON.stringify({ jsonrpc: '2.0', id: i + 2, method: 'chain_getStatus' }));
  // Not stalled means answered while the slow clients still hang (the server drops them only at
  // its request timeout): checked by their sockets being open still, not by a duration.
  const closed = new Set<Socket>();
  for (const sock of slow) sock.once('close', () => closed.add(sock));
  try {
    for (let i = 0; i < 5; i++) await healthy();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call(url, 'access_check', [ZERO, ZERO, 'read', 'TREAT'])),
    );
    assert.ok(
      answers.every((a) => a.result !== undefined || a.error !== undefined),
      '50 concurrent checks answered',
    );
    assert.is(closed.size, 0, 'while every slow client still hangs');
    assert.is(ws.readyState, WebSocket.OPEN, 'and the WebSocket that never reads is still open');
  } finally {
    for (const s of slow) s.destroy();
    ws.terminate();
  }
  await healthy();
  const h = await net.height(0);
  await net.waitHeight(0, h + 1, 10_000);
});

test.run();
