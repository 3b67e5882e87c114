/** JSON-RPC 2.0 conformance over real HTTP: one test per rule of the spec. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Demo, P1, SECRET, startDemo } from './demo.js';
import { call, post, type RpcReply } from './helpers.js';

const t = suite<{ d: Demo }>('rpc protocol');

t.before(async (ctx) => {
  ctx.d = await startDemo();
});
t.after(async (ctx) => {
  await ctx.d.server.close();
});

const send = async (d: Demo, body: unknown) => {
  const res = await post(d.url, typeof body === 'string' ? body : JSON.stringify(body));
  return res;
};
const req = (method: string, params?: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', id, method, params });

t('single call returns its result with the request id', async ({ d }) => {
  const res = await send(d, req('test_add', [2, 3], 42));
  assert.is(res.status, 200);
  assert.is(res.headers['content-type'], 'application/json');
  assert.equal(res.json, { jsonrpc: '2.0', id: 42, result: 5 });
});

t('string and null ids are echoed unchanged', async ({ d }) => {
  assert.equal((await send(d, req('test_add', [1, 1], 'abc-"x"'))).json, { jsonrpc: '2.0', id: 'abc-"x"', result: 2 });
  assert.equal((await send(d, req('test_add', [1, 1], null))).json, { jsonrpc: '2.0', id: null, result: 2 });
  assert.equal((await send(d, req('test_add', [1, 1], 1.5))).json, { jsonrpc: '2.0', id: 1.5, result: 2 });
});

t('parse error returns -32700 with id null', async ({ d }) => {
  const res = await send(d, '{"jsonrpc":"2.0","method":"test_add","params":[1,2],"id":1');
  assert.is(res.status, 200);
  assert.equal(res.json, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
});

t('invalid UTF-8 is a parse error', async ({ d }) => {
  const body = Buffer.concat([
    Buffer.from('{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('"]}'),
  ]);
  const res = await post(d.url, body);
  assert.is((res.json as RpcReply).error?.code, -32700);
});

t('non-object request is -32600 with id null', async ({ d }) => {
  for (const body of ['1', '"x"', 'null', 'true']) {
    const r = (await send(d, body)).json as RpcReply;
    assert.is(r.error?.code, -32600, body);
    assert.is(r.id, null);
  }
});

t('wrong jsonrpc version is -32600 keeping the id', async ({ d }) => {
  for (const jsonrpc of ['1.0', 2, undefined]) {
    const r = (await send(d, { jsonrpc, id: 9, method: 'test_add', params: [1, 2] })).json as RpcReply;
    assert.is(r.error?.code, -32600);
    assert.is(r.id, 9);
  }
});

t('id of a bad type (object, array, boolean, non-finite) is -32600 with id null', async ({ d }) => {
  for (const id of [{}, [1], true]) {
    const r = (await send(d, req('test_add', [1, 2], id))).json as RpcReply;
    assert.is(r.error?.code, -32600);
    assert.is(r.id, null);
  }
  const huge = (await send(d, '{"jsonrpc":"2.0","id":1e400,"method":"test_add","params":[1,2]}')).json as RpcReply;
  assert.is(huge.error?.code, -32600);
  assert.is(huge.id, null);
});

t('method that is not a string is -32600', async ({ d }) => {
  const r = (await send(d, { jsonrpc: '2.0', id: 3, method: 1, params: 'bar' })).json as RpcReply;
  assert.is(r.error?.code, -32600);
  assert.is(r.id, 3);
});

t('params that are not an array or object are -32600', async ({ d }) => {
  for (const params of ['x', 5, null]) {
    const r = (await send(d, { jsonrpc: '2.0', id: 4, method: 'test_echo', params })).json as RpcReply;
    assert.is(r.error?.code, -32600);
  }
});

t('unknown method is -32601', async ({ d }) => {
  const e = (await call(d.url, 'test_nope', [])).error;
  assert.is(e?.code, -32601);
  assert.is(e?.message, 'Method not found: "test_nope"; rpc.discover lists every method');
  assert.is((await call(d.url, 'rpc.nope')).error?.code, -32601);
});

t('positional and by-name params are both accepted', async ({ d }) => {
  assert.is((await call(d.url, 'test_add', [4, 5])).result, 9);
  assert.is((await call(d.url, 'test_add', { b: 5, a: 4 })).result, 9);
});

t('optional param may be omitted, positionally or by name', async ({ d }) => {
  assert.equal((await call(d.url, 'test_opt', ['x'])).result, { label: 'x', count: null });
  assert.equal((await call(d.url, 'test_opt', { label: 'x' })).result, { label: 'x', count: null });
  assert.equal((await call(d.url, 'test_opt', ['x', 3])).result, { label: 'x', count: 3 });
});

t('missing required param is -32602 naming it', async ({ d }) => {
  for (const params of [[1], { a: 1 }]) {
    const r = await call(d.url, 'test_add', params);
    assert.is(r.error?.code, -32602);
    assert.is(r.error?.data?.param, 'b');
    assert.match(r.error?.message ?? '', /missing required param b/);
  }
});

t('too many positional params is -32602', async ({ d }) => {
  const r = await call(d.url, 'test_add', [1, 2, 3]);
  assert.is(r.error?.code, -32602);
  assert.match(r.error?.message ?? '', /at most 2/);
});

t('unknown by-name param is -32602', async ({ d }) => {
  const r = await call(d.url, 'test_add', { a: 1, b: 2, c: 3 });
  assert.is(r.error?.code, -32602);
  assert.match(r.error?.message ?? '', /unknown param c/);
  assert.is((await call(d.url, 'test_add', JSON.parse('{"a":1,"b":2,"__proto__":{}}'))).error?.code, -32602);
});

t('invalid param is -32602 with its path and without its value', async ({ d }) => {
  const wrongType = await call(d.url, 'test_add', [1, -1]);
  assert.is(wrongType.error?.code, -32602);
  assert.is(wrongType.error?.data?.path, '/b');
  const nested = await call(d.url, 'test_record', [
    { id: P1, blob: `0x${Buffer.from(SECRET).toString('hex')}`, time: 1 },
  ]);
  assert.is(nested.error?.code, -32602);
  assert.equal(nested.error?.data, { code: 'INVALID_PARAMS', param: 'record', path: '/record/blob' });
  assert.ok(!JSON.stringify(nested).includes(Buffer.from(SECRET).toString('hex')));
  const upper = await call(d.url, 'test_record', [{ id: `0x${'AB'.repeat(32)}`, blob: '0x', time: 1 }]);
  assert.is(upper.error?.data?.path, '/record/id');
});

t('domain error maps to its table number with the string code in data', async ({ d }) => {
  const r = await call(d.url, 'test_fail', ['CONSENT_NOT_COVERED']);
  assert.is(r.error?.code, 4001);
  assert.is(r.error?.message, 'CONSENT_NOT_COVERED');
  assert.is(r.error?.data?.code, 'CONSENT_NOT_COVERED');
});

t('unknown coded error maps to -32000 DOMAIN_ERROR', async ({ d }) => {
  const r = await call(d.url, 'test_fail', ['TX_SOMETHING_NEW']);
  assert.is(r.error?.code, -32000);
  assert.is(r.error?.data?.code, 'TX_SOMETHING_NEW');
});

t('domain error data keeps only small primitives of meta', async ({ d }) => {
  const r = await call(d.url, 'test_fail', ['CONSENT_NOT_COVERED']);
  assert.equal(r.error?.data, {
    code: 'CONSENT_NOT_COVERED',
    height: 7,
    hash: `0x${'ab'.repeat(32)}`,
    big: (2n ** 70n).toString(),
  });
});

t('unexpected error is -32603 without message or stack, and is logged', async ({ d }) => {
  const before = d.logs.length;
  const r = await call(d.url, 'test_crash');
  assert.equal(r.error, { code: -32603, message: 'Internal error' });
  const logged = d.logs.slice(before).find((e) => e.level === 'error');
  assert.ok(logged);
  assert.is((logged?.obj as { err?: Error } | undefined)?.err?.message, SECRET);
});

t('result outside its schema is -32603 when validateResults is on', async ({ d }) => {
  const r = await call(d.url, 'test_badresult');
  assert.is(r.error?.code, -32603);
});

t('notification gets no response but runs', async ({ d }) => {
  const res = await send(d, { jsonrpc: '2.0', method: 'test_note', params: ['n1'] });
  assert.is(res.status, 204);
  assert.is(res.text, '');
  assert.ok(d.notes.includes('n1'));
});

t('notification to an unknown method or with invalid params gets no response', async ({ d }) => {
  assert.is((await send(d, { jsonrpc: '2.0', method: 'test_nope' })).status, 204);
  assert.is((await send(d, { jsonrpc: '2.0', method: 'test_add', params: ['x'] })).status, 204);
  assert.is((await send(d, { jsonrpc: '2.0', method: 'test_crash' })).status, 204);
});

t('empty batch is a single -32600', async ({ d }) => {
  const r = (await send(d, '[]')).json;
  assert.ok(!Array.isArray(r));
  assert.is((r as RpcReply).error?.code, -32600);
  assert.is((r as RpcReply).id, null);
});

t('invalid JSON in a batch is a single -32700', async ({ d }) => {
  const r = (await send(d, '[{"jsonrpc":"2.0","method":"test_add","params":[1,2],"id":"1"},{"jsonrpc":"2.0","method"]'))
    .json as RpcReply;
  assert.is(r.error?.code, -32700);
});

t('invalid member of batch gets its own -32600', async ({ d }) => {
  const r = (await send(d, [1, req('test_add', [1, 2], 'a'), { foo: 'bar' }])).json as RpcReply[];
  assert.is(r.length, 3);
  assert.equal(r[0], { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: not an object' } });
  assert.equal(r[1], { jsonrpc: '2.0', id: 'a', result: 3 });
  assert.is(r[2]?.error?.code, -32600);
});

t('batch responses keep request order and ids', async ({ d }) => {
  const batch = [
    req('test_slow', [50], 1),
    req('test_add', [1, 1], 2),
    req('test_nope', [], 3),
    req('test_echo', ['x'], 4),
  ];
  const r = (await send(d, batch)).json as RpcReply[];
  assert.equal(
    r.map((x) => x.id),
    [1, 2, 3, 4],
  );
  assert.is(r[0]?.result, 'done');
  assert.is(r[2]?.error?.code, -32601);
});

t('batch of notifications returns no body', async ({ d }) => {
  const res = await send(d, [
    { jsonrpc: '2.0', method: 'test_note', params: ['b1'] },
    { jsonrpc: '2.0', method: 'test_note', params: ['b2'] },
  ]);
  assert.is(res.status, 204);
  assert.is(res.text, '');
  assert.ok(d.notes.includes('b1') && d.notes.includes('b2'));
});

t('batch mixing notifications and calls answers only the calls', async ({ d }) => {
  const r = (await send(d, [{ jsonrpc: '2.0', method: 'test_note', params: ['m'] }, req('test_add', [2, 2], 7)]))
    .json as RpcReply[];
  assert.equal(r, [{ jsonrpc: '2.0', id: 7, result: 4 }]);
});

t.run();
