/** rpc.discover: an OpenRPC 1.2 document generated from the schemas that validate calls. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenRpcDocument } from '../../rpc/openrpc.js';
import { type Demo, startDemo } from './demo.js';
import { call } from './helpers.js';

const t = suite<{ d: Demo; doc: OpenRpcDocument }>('rpc openrpc');
t.before(async (ctx) => {
  ctx.d = await startDemo();
  ctx.doc = (await call(ctx.d.url, 'rpc.discover')).result as OpenRpcDocument;
});
t.after(async (ctx) => {
  await ctx.d.server.close();
});

t('rpc.discover returns an OpenRPC 1.2 document', ({ doc }) => {
  assert.match(doc.openrpc, /^1\.2\.\d+$/);
  assert.equal(doc.info, { title: 'MedChain JSON-RPC', version: '0.1.0' });
});

t('document lists every method, built-ins included', ({ doc }) => {
  const names = doc.methods.map((m) => m.name).sort();
  assert.equal(names, [
    'rpc.discover',
    'subscribe',
    'test_add',
    'test_badresult',
    'test_crash',
    'test_echo',
    'test_fail',
    'test_note',
    'test_opt',
    'test_record',
    'test_slow',
    'unsubscribe',
  ]);
  for (const m of doc.methods) {
    assert.type(m.summary, 'string');
    assert.is(m.paramStructure, 'either');
    assert.ok(m.result.schema !== undefined, m.name);
  }
});

t('params carry their JSON Schemas, order and required flags', ({ doc }) => {
  const opt = doc.methods.find((m) => m.name === 'test_opt');
  assert.equal(opt?.params, [
    { name: 'label', required: true, schema: { type: 'string', maxLength: 32 } },
    { name: 'count', required: false, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
  ]);
  const rec = doc.methods.find((m) => m.name === 'test_record');
  const schema = rec?.params[0]?.schema as { properties: Record<string, { pattern?: string }>; required: string[] };
  assert.is(schema.properties.id?.pattern, '^0x[0-9a-f]{64}$');
  assert.equal(schema.required, ['id', 'blob', 'time']);
});

t('declared domain errors appear with their numbers', ({ doc }) => {
  const fail = doc.methods.find((m) => m.name === 'test_fail');
  assert.equal(fail?.errors, [{ code: 4001, message: 'CONSENT_NOT_COVERED', data: { code: 'CONSENT_NOT_COVERED' } }]);
  assert.equal(doc.components.errors.RATE_LIMITED, { code: -32003, message: 'RATE_LIMITED' });
  assert.equal(doc.components.errors.CONSENT_NOT_COVERED, { code: 4001, message: 'CONSENT_NOT_COVERED' });
});

t('topics are listed with filter schemas, and subscribe enumerates them', ({ doc }) => {
  assert.equal(
    doc['x-topics'].map((x) => x.name),
    ['records'],
  );
  assert.ok(doc['x-topics'][0]?.event !== undefined);
  const sub = doc.methods.find((m) => m.name === 'subscribe');
  assert.equal(sub?.params[0]?.schema, { type: 'string', enum: ['records'] });
});

t('document is plain JSON and rebuilt after a new method is defined', async ({ d, doc }) => {
  assert.equal(JSON.parse(JSON.stringify(doc)), doc);
  const { Type } = await import('@sinclair/typebox');
  d.server.defineMethod({ name: 'test_late', summary: 'late', params: [], result: Type.Null(), handler: () => null });
  const again = d.server.discover();
  assert.ok(again.methods.some((m) => m.name === 'test_late'));
});

t.run();
