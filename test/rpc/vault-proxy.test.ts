/**
 * The /vault mount: forwards the three routes a browser needs to the vault beside the node with
 * only the signed request header, bounds bodies both ways, answers 503 without a vault, and logs
 * no path, header or body.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VaultProxy } from '../../rpc/vault-proxy.js';
import { type Demo, startDemo } from './demo.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
interface Ctx {
  d: Demo;
  proxy: VaultProxy;
  upstream: Server;
  seen: Seen[];
  warns: object[];
  /** Bytes the fake vault answers GET .../receipt with. */
  answerBytes: number;
  /** Answer without content-length. */
  chunked: boolean;
}
const t = suite<Ctx>('vault proxy', { seen: [], warns: [], answerBytes: 10 } as unknown as Ctx);
const REC = `0x${'ab'.repeat(32)}`;

t.before(async (ctx) => {
  ctx.upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      ctx.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const body = req.url?.endsWith('/receipt') ? 'x'.repeat(ctx.answerBytes) : 'ciphertext';
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        ...(ctx.chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
        'x-medchain-wrapped': '0x01',
        'x-medchain-access-tx': '0x02',
        'set-cookie': 'not=forwarded',
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => ctx.upstream.listen(0, '127.0.0.1', r));
  ctx.proxy = new VaultProxy({ maxResponseBytes: 1000 }, { warn: (obj) => ctx.warns.push(obj) });
  ctx.d = await startDemo();
  ctx.d.server.mount(ctx.proxy);
});

t.after(async (ctx) => {
  await ctx.d.server.close();
  await new Promise((r) => ctx.upstream.close(r));
});

const at = (ctx: Ctx, path: string, init: RequestInit = {}) => fetch(`${ctx.d.url}/vault${path}`, init);

t('without a vault: 503 with a coded error', async (ctx) => {
  const r = await at(ctx, '/v1/health');
  assert.is(r.status, 503);
  assert.equal(await r.json(), { error: { code: 'UNAVAILABLE' } });
});

t('forwards open with the signed header only, and passes back the vault headers it names', async (ctx) => {
  const { port } = ctx.upstream.address() as AddressInfo;
  ctx.proxy.setTarget(`http://127.0.0.1:${port}`);
  const r = await at(ctx, `/v1/records/${REC}/open`, {
    method: 'POST',
    headers: { 'x-medchain-request': '0xbeef', authorization: 'Bearer secret-token', cookie: 'c=1' },
    body: 'signed access tx',
  });
  assert.is(r.status, 200);
  assert.is(await r.text(), 'ciphertext');
  assert.is(r.headers.get('x-medchain-wrapped'), '0x01');
  assert.is(r.headers.get('x-medchain-access-tx'), '0x02');
  assert.is(r.headers.get('set-cookie'), null);
  assert.is(r.headers.get('cache-control'), 'no-store');
  const s = ctx.seen.at(-1) as Seen;
  assert.equal([s.method, s.url, s.body], ['POST', `/v1/records/${REC}/open`, 'signed access tx']);
  assert.is(s.headers['x-medchain-request'], '0xbeef');
  assert.is(s.headers.authorization, undefined);
  assert.is(s.headers.cookie, undefined);
});

t('only health, open and receipt: other routes and methods are refused and never reach the vault', async (ctx) => {
  const before = ctx.seen.length;
  for (const [method, path] of [
    ['PUT', `/v1/records/${REC}`],
    ['PUT', `/v1/records/${REC}/keys`],
    ['GET', '/v1/refusals'],
    ['GET', `/v1/records/${REC}/open`],
    ['GET', '/v1/records/0x12/receipt'],
    ['GET', '/../v1/health'],
  ] as const) {
    const r = await at(ctx, path, { method, ...(method === 'PUT' ? { body: 'x' } : {}) });
    // 405 from the server for methods it never serves, 404 from the mount for the rest.
    assert.ok(r.status === 404 || r.status === 405, `${method} ${path}: ${r.status}`);
  }
  assert.is(ctx.seen.length, before);
  assert.is((await at(ctx, '/v1/health')).status, 200);
  assert.is((await at(ctx, `/v1/records/${REC}/receipt`)).status, 200);
});

t('bodies are bounded: a large open request is refused before the vault, a large answer is cut', async (ctx) => {
  const before = ctx.seen.length;
  const big = await at(ctx, `/v1/records/${REC}/open`, { method: 'POST', body: 'x'.repeat(9000) });
  assert.is(big.status, 413);
  assert.is(ctx.seen.length, before);
  ctx.answerBytes = 5000;
  const r = await at(ctx, `/v1/records/${REC}/receipt`);
  assert.is(r.status, 502);
  assert.equal(await r.json(), { error: { code: 'TOO_LARGE' } });
  ctx.answerBytes = 10;
  // Undeclared (chunked) answers stream, cut at the bound.
  ctx.chunked = true;
  const small = await at(ctx, `/v1/records/${REC}/receipt`);
  assert.is(await small.text(), 'x'.repeat(10));
  ctx.answerBytes = 5000;
  // The connection is cut once the bound is passed: at most the bound arrives, or nothing.
  const got = await at(ctx, `/v1/records/${REC}/receipt`)
    .then((r) => r.text())
    .catch(() => '');
  assert.ok(got.length <= 1000, `at most the bound (${got.length})`);
  ctx.answerBytes = 10;
  ctx.chunked = false;
});

t('the vault gone: 502, and the log says so without any path or header', async (ctx) => {
  ctx.proxy.setTarget('http://127.0.0.1:1');
  const r = await at(ctx, `/v1/records/${REC}/open`, {
    method: 'POST',
    headers: { 'x-medchain-request': '0xbeef' },
    body: 'tx',
  });
  assert.is(r.status, 502);
  assert.ok(ctx.warns.length > 0);
  assert.not.match(JSON.stringify(ctx.warns), REC.slice(2, 10));
  assert.not.match(JSON.stringify(ctx.warns), 'beef');
});

t.run();
