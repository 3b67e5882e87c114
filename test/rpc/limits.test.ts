/** Every limit gives its own error, and a well-behaved client is served meanwhile. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Demo, P1, startDemo } from './demo.js';
import { call, post, type RpcReply, rawSocket, untilClosed, WsClient } from './helpers.js';

const normal = async (d: Demo, localAddress?: string): Promise<void> => {
  const r = await call(d.url, 'test_add', [20, 22], localAddress === undefined ? {} : { localAddress });
  assert.is(r.result, 42);
};

const t = suite<{ d: Demo }>('rpc limits');
t.before(async (ctx) => {
  ctx.d = await startDemo({
    maxBodyBytes: 300_000,
    maxBatchLength: 10,
    requestTimeoutMs: 150,
    maxWsMessageBytes: 2048,
    maxSubscriptionsPerConnection: 2,
  });
});
t.after(async (ctx) => {
  await ctx.d.server.close();
});

t('oversize body is 413 with -32005 (declared length)', async ({ d }) => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_echo', params: ['x'.repeat(400_000)] });
  const [res] = await Promise.all([post(d.url, body), normal(d)]);
  assert.is(res.status, 413);
  assert.is((res.json as RpcReply).error?.code, -32005);
  assert.is((res.json as RpcReply).error?.data?.max, 300_000);
});

t('oversize chunked body is 413 while streaming', async ({ d }) => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_echo', params: ['x'.repeat(400_000)] });
  const [res] = await Promise.all([post(d.url, body, { chunked: true }), normal(d)]);
  assert.is(res.status, 413);
  assert.is((res.json as RpcReply).error?.code, -32005);
});

t('deep JSON (100k nested arrays) is -32006, checked before parsing', async ({ d }) => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const [res] = await Promise.all([post(d.url, deep), normal(d)]);
  assert.is((res.json as RpcReply).error?.code, -32006);
  const inParams = `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":[${'{"a":'.repeat(40)}1${'}'.repeat(40)}]}`;
  assert.is(((await post(d.url, inParams)).json as RpcReply).error?.code, -32006);
  // Brackets inside strings do not count.
  const r = await call(d.url, 'test_echo', ['['.repeat(1000)]);
  assert.is(r.result, '['.repeat(1000));
});

t('batch longer than maxBatchLength is a single -32007', async ({ d }) => {
  const batch = Array.from({ length: 11 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'test_add', params: [1, 1] }));
  const [res] = await Promise.all([post(d.url, JSON.stringify(batch)), normal(d)]);
  const r = res.json as RpcReply;
  assert.ok(!Array.isArray(r));
  assert.is(r.error?.code, -32007);
  assert.is(r.id, null);
});

t('handler over its time budget is -32004, its signal aborts, the server keeps serving', async ({ d }) => {
  const [r] = await Promise.all([call(d.url, 'test_slow', [10_000]), normal(d)]);
  assert.is(r.error?.code, -32004);
  assert.is(r.error?.data?.code, 'TIMEOUT');
  assert.is(d.aborted.length, 1);
  assert.is((d.aborted[0]?.reason as { data?: { code?: string } } | undefined)?.data?.code, 'TIMEOUT');
  await normal(d);
});

t('WS message over maxWsMessageBytes closes the socket with 1009', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  ws.send({ jsonrpc: '2.0', id: 1, method: 'test_echo', params: ['y'.repeat(4096)] });
  const [closed] = await Promise.all([ws.closed, normal(d)]);
  assert.is(closed.code, 1009);
});

t('deep JSON over WS is -32006 and the connection stays usable', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  ws.send(`${'['.repeat(1000)}${']'.repeat(1000)}`);
  const r = (await ws.take()) as RpcReply;
  assert.is(r.error?.code, -32006);
  assert.is((await ws.call('test_add', [1, 2])).result, 3);
  await ws.close();
});

t('too many subscriptions on one connection is -32008', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  assert.type((await ws.call('subscribe', ['records'])).result, 'string');
  assert.type((await ws.call('subscribe', ['records', { patient: P1 }])).result, 'string');
  const third = await ws.call('subscribe', ['records']);
  assert.is(third.error?.code, -32008);
  assert.is(third.error?.data?.max, 2);
  await normal(d);
  await ws.close();
});

t.run();

const rate = suite<{ d: Demo }>('rpc rate limit');
rate.before(async (ctx) => {
  // No refill to speak of: the outcome depends only on the count of calls.
  ctx.d = await startDemo({ rateLimit: { perSecond: 0.001, burst: 3, maxClients: 100 } });
});
rate.after(async (ctx) => {
  await ctx.d.server.close();
});

rate('client over its rate gets 429 with -32003 and Retry-After; another client is served', async ({ d }) => {
  for (let i = 0; i < 3; i++) await normal(d, '127.0.0.2');
  const res = await post(d.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_add', params: [1, 2] }), {
    localAddress: '127.0.0.2',
  });
  assert.is(res.status, 429);
  assert.ok(Number(res.headers['retry-after']) >= 1);
  assert.is((res.json as RpcReply).error?.code, -32003);
  await normal(d, '127.0.0.3');
});

rate('each batch member counts against the rate', async ({ d }) => {
  const batch = Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'test_add', params: [1, 1] }));
  const res = await post(d.url, JSON.stringify(batch), { localAddress: '127.0.0.4' });
  assert.is(res.status, 429);
  assert.is((res.json as RpcReply).error?.code, -32003);
  await normal(d, '127.0.0.5');
});

rate('WS calls over the rate get -32003 with their id', async ({ d }) => {
  const ws = await WsClient.connect(d.addr.wsUrl);
  const codes: (number | undefined)[] = [];
  for (let i = 0; i < 5; i++) codes.push((await ws.call('test_add', [1, 1])).error?.code);
  assert.equal(codes, [undefined, undefined, undefined, -32003, -32003]);
  await ws.close();
  await normal(d, '127.0.0.6');
});

rate.run();

const conns = suite<{ d: Demo }>('rpc connection limit');
conns.before(async (ctx) => {
  ctx.d = await startDemo({ maxConnections: 2 });
});
conns.after(async (ctx) => {
  await ctx.d.server.close();
});

conns('connections beyond maxConnections get 503 with -32010; open ones are served', async ({ d }) => {
  const a = await rawSocket(d.url);
  const b = await rawSocket(d.url);
  const res = await post(d.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_add', params: [1, 2] }));
  assert.is(res.status, 503);
  assert.is((res.json as RpcReply).error?.code, -32010);
  assert.is(await WsClient.refusedStatus(d.addr.wsUrl), 503);
  const body = '{"jsonrpc":"2.0","id":5,"method":"test_add","params":[2,3]}';
  const closed = untilClosed(a);
  a.end(
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  assert.match(await closed, /"result":5/);
  b.destroy();
});

conns.run();
