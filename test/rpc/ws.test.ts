/** WebSocket transport and subscriptions. */
import type { Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { type Demo, P1, P2, startDemo } from './demo.js';
import { call, type RpcReply, sleep, WsClient } from './helpers.js';

const event = (patient: string, height: number, extra: Record<string, unknown> = {}) => ({
  patient,
  height,
  time: 1_700_000_000_000 + height,
  ...extra,
});

const t = suite<{ d: Demo }>('rpc ws');
t.before(async (ctx) => {
  ctx.d = await startDemo();
});
t.after(async (ctx) => {
  await ctx.d.server.close();
});

t('calls over WS return results with their ids', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  const [a, b] = await Promise.all([ws.call('test_slow', [30]), ws.call('test_add', [2, 3])]);
  assert.is(a.result, 'done');
  assert.is(b.result, 5);
  await ws.close();
});

t('batch over WS is answered with one array; a notification-only batch gets nothing', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  ws.send([{ jsonrpc: '2.0', method: 'test_note', params: ['w1'] }]);
  ws.send([
    { jsonrpc: '2.0', id: 'x', method: 'test_add', params: [1, 1] },
    { jsonrpc: '2.0', id: 'y', method: 'test_nope' },
  ]);
  const r = (await ws.take()) as RpcReply[];
  assert.ok(Array.isArray(r));
  assert.equal(
    r.map((x) => x.id),
    ['x', 'y'],
  );
  assert.ok(d.notes.includes('w1'));
  assert.is(ws.pending, 0);
  await ws.close();
});

t('parse error over WS is -32700 and the connection stays open', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  ws.send('{"jsonrpc":');
  assert.is(((await ws.take()) as RpcReply).error?.code, -32700);
  assert.is((await ws.call('test_add', [1, 2])).result, 3);
  await ws.close();
});

t('subscribe over HTTP is -32009', async ({ d }) => {
  const r = await call(d.url, 'subscribe', ['records']);
  assert.is(r.error?.code, -32009);
  assert.is(r.error?.data?.code, 'SUBSCRIPTIONS_UNSUPPORTED');
  assert.is((await call(d.url, 'unsubscribe', ['0x00'])).error?.code, -32009);
});

t('subscribe to an unknown topic is -32602', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  const r = await ws.call('subscribe', ['nope']);
  assert.is(r.error?.code, -32602);
  assert.is(r.error?.data?.code, 'UNKNOWN_TOPIC');
  await ws.close();
});

t('subscribe with an invalid filter is -32602 with the filter path', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  const r = await ws.call('subscribe', { topic: 'records', filter: { patient: '0x12' } });
  assert.is(r.error?.code, -32602);
  assert.is(r.error?.data?.path, '/filter/patient');
  await ws.close();
});

t('subscriptions deliver only the events matching their filter', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  const all = (await ws.call('subscribe', ['records'])).result as string;
  const only1 = (await ws.call('subscribe', ['records', { patient: P1 }])).result as string;
  assert.match(all, /^0x[0-9a-f]{32}$/);
  assert.is(d.server.publish('records', event(P2, 1)), 1);
  assert.is(d.server.publish('records', event(P1, 2)), 2);
  const n1 = await ws.notification(all);
  const n2 = await ws.notification(all);
  const n3 = await ws.notification(only1);
  assert.equal(
    [n1.result, n2.result, n3.result].map((e) => (e as { height: number }).height),
    [1, 2, 2],
  );
  assert.is(ws.pending, 0);
  await ws.close();
});

t('unsubscribe stops delivery and returns true; an unknown id returns false', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  const id = (await ws.call('subscribe', ['records'])).result as string;
  assert.is((await ws.call('unsubscribe', [id])).result, true);
  assert.is((await ws.call('unsubscribe', [id])).result, false);
  assert.is(d.server.publish('records', event(P1, 3)), 0);
  assert.is((await ws.call('test_add', [0, 0])).result, 0);
  assert.is(ws.pending, 0);
  await ws.close();
});

t('a connection cannot end the subscription of another', async ({ d }) => {
  const a = await WsClient.connect(d.addr.wsUrl);
  const b = await WsClient.connect(d.addr.wsUrl);
  const id = (await a.call('subscribe', ['records'])).result as string;
  assert.is((await b.call('unsubscribe', [id])).result, false);
  d.server.publish('records', event(P1, 4));
  assert.is(((await a.notification(id)).result as { height: number }).height, 4);
  await Promise.all([a.close(), b.close()]);
});

t('closing a connection drops its subscriptions', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  await ws.call('subscribe', ['records']);
  await ws.close();
  // The server sees the close when it gets there (a loaded machine: seconds); bounded, not timed.
  for (let i = 0; i < 1000 && d.server.wsConnections > 0; i++) await sleep(10);
  assert.is(d.server.wsConnections, 0);
  assert.is(d.server.publish('records', event(P1, 5)), 0);
});

t.run();

const slow = suite<{ d: Demo }>('rpc ws slow consumer');
slow.before(async (ctx) => {
  ctx.d = await startDemo({ wsMaxBufferedBytes: 256 * 1024 });
});
slow.after(async (ctx) => {
  await ctx.d.server.close();
});

slow('slow WS consumer is disconnected instead of buffered; others keep receiving', async ({ d }) => {
  const lazy = await WsClient.connect(d.addr.wsUrl);
  const fast = await WsClient.connect(d.addr.wsUrl);
  await lazy.call('subscribe', ['records', { patient: P1 }]);
  const fastSub = (await fast.call('subscribe', ['records', { patient: P2 }])).result as string;
  // Stop reading: the kernel buffers fill, then the server's send buffer grows.
  (lazy.ws as unknown as { _socket: Socket })._socket.pause();
  const pad = 'z'.repeat(16 * 1024);
  for (let i = 0; i < 20_000 && d.server.wsConnections > 1; i++) {
    d.server.publish('records', event(P1, i, { pad }));
    if (i % 32 === 31) await sleep(1);
  }
  assert.is(d.server.wsConnections, 1);
  assert.ok(d.logs.some((e) => e.level === 'warn' && /too slow/.test(e.msg)));
  d.server.publish('records', event(P2, 7));
  assert.is(((await fast.notification(fastSub)).result as { height: number }).height, 7);
  await fast.close();
  lazy.ws.terminate();
});

slow.run();

const beat = suite<{ d: Demo }>('rpc ws heartbeat');
beat.before(async (ctx) => {
  ctx.d = await startDemo({ wsPingIntervalMs: 50 });
});
beat.after(async (ctx) => {
  await ctx.d.server.close();
});

beat('a WS peer that answers no ping is disconnected (1006) and the node says why', async ({ d }) => {
  const deaf = new WebSocket(d.addr.wsUrl, { autoPong: false });
  const live = await WsClient.connect(d.addr.wsUrl);
  let pings = 0;
  live.ws.on('ping', () => {
    pings++;
  });
  const closed = new Promise<number>((resolve) => deaf.once('close', (code) => resolve(code)));
  assert.is(await closed, 1006);
  // The answering peer outlives several intervals (counted in pings, not time).
  for (let i = 0; i < 3000 && pings < 4; i++) await sleep(10);
  assert.ok(pings >= 4, `pings ${pings}`);
  assert.is(live.ws.readyState, WebSocket.OPEN);
  assert.ok(d.logs.some((e) => e.level === 'warn' && /answered no ping/.test(e.msg)));
  await live.close();
});

beat.run();
