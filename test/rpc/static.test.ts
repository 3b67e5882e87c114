/** The console's static mount: content types, CSP, no traversal, GET only; and the node's own origin rule. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeApi } from '../../rpc/api/types.js';
import { sameOrigin } from '../../rpc/caller-check.js';
import { CONSOLE_CSP, StaticMount } from '../../rpc/static.js';
import { FhirHandler } from '../../src/fhir/index.js';
import { type Demo, startDemo } from './demo.js';
import { post } from './helpers.js';

const t = suite<{ d: Demo; dir: string }>('static mount');
const ADD = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_add', params: [1, 2] });

t.before(async (ctx) => {
  // dir/site is served; dir/secret.txt sits beside it and must never be reachable.
  ctx.dir = mkdtempSync(join(tmpdir(), 'medchain-static-'));
  const site = join(ctx.dir, 'site');
  mkdirSync(site);
  mkdirSync(join(site, 'sub'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>c</title>');
  writeFileSync(join(site, 'app.js'), 'console.log(1)');
  writeFileSync(join(site, 'app.css'), 'body{}');
  writeFileSync(join(site, 'key.pem'), 'not served: unknown type');
  writeFileSync(join(site, 'sub', 'x.js'), 'nested: not served');
  writeFileSync(join(ctx.dir, 'secret.txt'), 'SECRET');
  ctx.d = await startDemo();
  ctx.d.server.mount(new StaticMount({ basePath: '/console', dir: site }));
});

t.after(async ({ d, dir }) => {
  await d.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (d: Demo, path: string, method = 'GET') => post(d.url, null, { method, path, anonymous: true });

t('serves index.html, JS and CSS with their content types and a strict CSP', async ({ d }) => {
  for (const [path, type, body] of [
    ['/console/', 'text/html; charset=utf-8', '<!doctype html><title>c</title>'],
    ['/console/index.html', 'text/html; charset=utf-8', '<!doctype html><title>c</title>'],
    ['/console/app.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
    ['/console/app.css', 'text/css; charset=utf-8', 'body{}'],
    ['/console/?signin=1', 'text/html; charset=utf-8', '<!doctype html><title>c</title>'],
  ] as const) {
    const r = await get(d, path);
    assert.is(r.status, 200, path);
    assert.is(r.headers['content-type'], type, path);
    assert.is(r.text, body, path);
    assert.is(r.headers['content-security-policy'], CONSOLE_CSP);
    assert.is(r.headers['x-content-type-options'], 'nosniff');
  }
  assert.match(CONSOLE_CSP, "default-src 'none'");
  assert.match(CONSOLE_CSP, "connect-src 'self'");
  assert.not.match(CONSOLE_CSP, 'unsafe');
});

t('/console redirects to /console/', async ({ d }) => {
  const r = await get(d, '/console');
  assert.is(r.status, 308);
  assert.is(r.headers.location, '/console/');
});

t('no traversal, no nested paths, no unknown file types: 404', async ({ d }) => {
  for (const path of [
    '/console/../secret.txt',
    '/console/..%2fsecret.txt',
    '/console/%2e%2e/secret.txt',
    '/console/sub/x.js',
    '/console/key.pem',
    '/console/missing.js',
    '/console//etc/passwd',
    '/console/.',
  ]) {
    const r = await get(d, path);
    assert.is(r.status, 404, path);
    assert.not.match(r.text, 'SECRET');
  }
});

t('only GET and HEAD: POST is 405, HEAD has no body', async ({ d }) => {
  const p = await post(d.url, 'x', { path: '/console/app.js', anonymous: true });
  assert.is(p.status, 405);
  const h = await get(d, '/console/app.js', 'HEAD');
  assert.is(h.status, 200);
  assert.is(h.text, '');
  assert.is(h.headers['content-length'], String('console.log(1)'.length));
});

t('a mount owns its base path, paths below it and it with a query; not a longer name (the FHIR facade too)', () => {
  const m = new StaticMount({ basePath: '/console', dir: join(tmpdir(), 'no-such-medchain-dir') });
  const f = new FhirHandler(
    { basePath: '/fhir' },
    { api: {} as NodeApi, source: { chainId: 'c', node: 'n' }, baseUrl: () => '' },
  );
  for (const [mount, b] of [
    [m, '/console'],
    [f, '/fhir'],
  ] as const) {
    for (const url of [b, `${b}/`, `${b}/x.js`, `${b}?a=1`]) assert.ok(mount.owns(url), url);
    for (const url of [`${b}x`, `${b}.js`, '/', `/x${b}`, undefined]) assert.not.ok(mount.owns(url), String(url));
  }
});

t('an unbuilt console answers 404 with a hint', async () => {
  const m = new StaticMount({ basePath: '/console', dir: join(tmpdir(), 'no-such-medchain-dir') });
  assert.not.ok(m.available);
});

t("the node's own origin may call JSON-RPC when its Host is an IP literal or localhost", async ({ d }) => {
  const host = new URL(d.url).host;
  const own = await post(d.url, ADD, { headers: { origin: `http://${host}`, host } });
  assert.is(own.status, 200);
  // DNS rebinding: a name resolving to the node sends a matching Origin and Host, and is refused.
  const port = new URL(d.url).port;
  const rebound = await post(d.url, ADD, {
    headers: { origin: `http://evil.example:${port}`, host: `evil.example:${port}` },
  });
  assert.is(rebound.status, 403);
});

t('sameOrigin: IP literals and localhost only, exact match', () => {
  assert.ok(sameOrigin('http://127.0.0.1:8545', '127.0.0.1:8545'));
  assert.ok(sameOrigin('http://localhost:8545', 'localhost:8545'));
  assert.ok(sameOrigin('http://[::1]:8545', '[::1]:8545'));
  assert.ok(sameOrigin('http://10.0.0.5', '10.0.0.5'));
  assert.not.ok(sameOrigin('http://127.0.0.1:8546', '127.0.0.1:8545'));
  assert.not.ok(sameOrigin('https://127.0.0.1:8545', '127.0.0.1:8545'));
  assert.not.ok(sameOrigin('http://node.example:8545', 'node.example:8545'));
  assert.not.ok(sameOrigin('http://127.0.0.1.evil.example', '127.0.0.1.evil.example'));
  assert.not.ok(sameOrigin('http://127.0.0.1:8545', undefined));
});

t.run();
