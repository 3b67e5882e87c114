/** HTTP transport rules: methods, content type, auth, origin, slow clients, lifecycle. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultRpcOptions } from '../../rpc/options.js';
import { type Demo, startDemo } from './demo.js';
import { call, post, type RpcReply, rawSocket, untilClosed, WsClient } from './helpers.js';

const ADD = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_add', params: [1, 2] });

const t = suite<{ d: Demo }>('rpc http');
t.before(async (ctx) => {
  ctx.d = await startDemo({ allowedOrigins: ['https://console.example'] });
});
t.after(async (ctx) => {
  await ctx.d.server.close();
});

t('binds to 127.0.0.1 by default and port 0 picks a free port', ({ d }) => {
  assert.is(defaultRpcOptions.host, '127.0.0.1');
  assert.is(d.addr.host, '127.0.0.1');
  assert.ok(d.addr.port > 0);
  assert.is(d.addr.url, `http://127.0.0.1:${d.addr.port}`);
  assert.is(d.addr.wsUrl, `ws://127.0.0.1:${d.addr.port}`);
});

t('GET /health returns 200 ok', async ({ d }) => {
  const res = await post(d.url, null, { method: 'GET', path: '/health' });
  assert.is(res.status, 200);
  assert.is(res.text, 'ok');
});

t('other HTTP methods are 405 with Allow: POST', async ({ d }) => {
  for (const method of ['GET', 'PUT', 'OPTIONS', 'DELETE']) {
    const res = await post(d.url, null, { method });
    assert.is(res.status, 405, method);
    assert.is(res.headers.allow, 'POST');
    assert.is((res.json as RpcReply).error?.code, -32012);
  }
});

t('POST without a JSON content type is 415', async ({ d }) => {
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
    const res = await post(d.url, ADD, { headers: { 'content-type': ct } });
    assert.is(res.status, 415, ct);
    assert.is((res.json as RpcReply).error?.code, -32013);
  }
  const ok = await post(d.url, ADD, { headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
  assert.is(ok.status, 200);
});

t('request from a foreign Origin is 403; an allowed Origin passes', async ({ d }) => {
  const bad = await post(d.url, ADD, { headers: { origin: 'https://evil.example' } });
  assert.is(bad.status, 403);
  assert.is((bad.json as RpcReply).error?.code, -32002);
  const good = await post(d.url, ADD, { headers: { origin: 'https://console.example' } });
  assert.is((good.json as RpcReply).result, 3);
  assert.is(await WsClient.refusedStatus(d.addr.wsUrl, { origin: 'https://evil.example' }), 403);
});

t('chunked body without Content-Length is accepted', async ({ d }) => {
  const res = await post(d.url, ADD, { chunked: true });
  assert.is((res.json as RpcReply).result, 3);
});

t.run();

const auth = suite<{ d: Demo }>('rpc http bearer token');
auth.before(async (ctx) => {
  ctx.d = await startDemo({ authToken: 's3cret-token' });
});
auth.after(async (ctx) => {
  await ctx.d.server.close();
});

auth('missing or wrong bearer token is 401 with -32001', async ({ d }) => {
  for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 's3cret-token' }]) {
    const res = await post(d.url, ADD, { headers });
    assert.is(res.status, 401);
    assert.is(res.headers['www-authenticate'], 'Bearer');
    assert.is((res.json as RpcReply).error?.code, -32001);
  }
});

auth('correct bearer token is served', async ({ d }) => {
  const r = await call(d.url, 'test_add', [2, 2], { headers: { authorization: 'Bearer s3cret-token' } });
  assert.is(r.result, 4);
});

auth('WS upgrade without the bearer token is refused with 401', async ({ d }) => {
  assert.is(await WsClient.refusedStatus(d.addr.wsUrl), 401);
  const ws = await WsClient.connect(d.addr.wsUrl, { authorization: 'Bearer s3cret-token' });
  assert.is((await ws.call('test_add', [1, 1])).result, 2);
  await ws.close();
});

auth.run();

const slow = suite<{ d: Demo }>('rpc http slow clients');
slow.before(async (ctx) => {
  ctx.d = await startDemo({ headersTimeoutMs: 300, requestBodyTimeoutMs: 600, connectionsCheckingIntervalMs: 50 });
});
slow.after(async (ctx) => {
  await ctx.d.server.close();
});

slow('trickled headers are cut by headersTimeout (408)', async ({ d }) => {
  const s = await rawSocket(d.url);
  const closed = untilClosed(s);
  s.write('POST / HTTP/1.1\r\nHost: x\r\n');
  const text = await closed;
  assert.match(text, /^HTTP\/1\.1 408/);
});

slow('trickled body is cut by the request timeout (408)', async ({ d }) => {
  const s = await rawSocket(d.url);
  const closed = untilClosed(s);
  s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
  const drip = setInterval(() => s.writable && s.write(' '), 50);
  const text = await closed;
  clearInterval(drip);
  assert.match(text, /^HTTP\/1\.1 408/);
  // The server is still serving.
  assert.is((await call(d.url, 'test_add', [1, 2])).result, 3);
});

slow.run();

const life = suite('rpc server lifecycle');

/** Waits (bounded) until test_slow's handler runs: the request is in flight, whatever the load. */
async function handlerStarted(d: Demo): Promise<void> {
  for (let i = 0; i < 1000 && d.slowStarted.count === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.is(d.slowStarted.count, 1, 'test_slow started');
}

life('close waits for in-flight requests, then refuses connections', async () => {
  const d = await startDemo();
  const pending = call(d.url, 'test_slow', [150]);
  await handlerStarted(d);
  await d.server.close();
  assert.is((await pending).result, 'done');
  assert.is(d.aborted.length, 0);
  let refused = false;
  await post(d.url, ADD).catch(() => {
    refused = true;
  });
  assert.ok(refused);
  await d.server.close();
});

life('close aborts handlers still running after closeTimeoutMs', async () => {
  const d = await startDemo({ closeTimeoutMs: 50 });
  const pending = call(d.url, 'test_slow', [5000]).catch(() => null);
  await handlerStarted(d);
  await d.server.close();
  await pending;
  assert.is(d.aborted.length, 1);
});

life('close ends WS connections with 1001', async () => {
  const d = await startDemo();
  const ws = await WsClient.connect(d.addr.wsUrl);
  await d.server.close();
  assert.is((await ws.closed).code, 1001);
});

life.run();
