/**
 * The vault behind the node's /vault proxy: every forwarded request reaches the vault from the
 * proxy's one address, so the vault charges its per-address rate to the caller the proxy names,
 * vouched for by their shared secret. One caller exhausting its allowance leaves another's whole;
 * a caller naming itself without the secret is charged to its own address.
 */
import type { Server } from 'node:http';
import { request } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VaultProxy } from '../../rpc/vault-proxy.js';
import { listenVault } from '../../src/vault/http.js';
import { type Demo, startDemo } from '../rpc/demo.js';
import { VaultFixture } from './fake-chain.js';

interface Ctx {
  f: VaultFixture;
  vault: Server;
  vaultUrl: string;
  d: Demo;
}
const test = suite<Ctx>('vault rate per caller behind the proxy', {} as Ctx);
const SECRET = 'shared-by-node-and-vault';

test.before(async (ctx) => {
  // A burst of one and no refill within any test's time (one per 1,000 s): no timing in the test.
  ctx.f = await VaultFixture.create({ ratePerAddress: 0.001, proxySecret: SECRET });
  ({ server: ctx.vault, url: ctx.vaultUrl } = await listenVault(ctx.f.service, '127.0.0.1', 0));
  const proxy = new VaultProxy();
  proxy.setTarget(ctx.vaultUrl, SECRET);
  ctx.d = await startDemo();
  ctx.d.server.mount(proxy);
});
test.after(async (ctx) => {
  await ctx.d.server.close();
  ctx.vault.closeAllConnections();
  await new Promise<void>((r) => ctx.vault.close(() => r()));
  await ctx.f.close();
});

/** GET a path from a given loopback source address (Linux routes all of 127/8 to lo). */
function get(
  url: string,
  from: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress: from, headers, agent: false }, (res) => {
      let s = '';
      res.on('data', (c) => {
        s += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, code: (JSON.parse(s) as { error?: { code: string } }).error?.code }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('one caller exhausting its allowance through the proxy leaves another caller’s whole', async (ctx) => {
  const health = `${ctx.d.url}/vault/v1/health`;
  const a = [await get(health, '127.0.0.2'), await get(health, '127.0.0.2')];
  assert.equal(
    a.map((r) => r.status),
    [200, 429],
  );
  assert.is(a[1]?.code, 'VAULT_RATE_LIMITED');
  assert.is((await get(health, '127.0.0.3')).status, 200, 'another caller is still served');
});

test('a caller naming itself to the vault without the secret (or with a wrong one) is charged to its own address', async (ctx) => {
  const health = `${ctx.vaultUrl}/v1/health`;
  const spoof = (i: number, secret?: string) =>
    get(health, '127.0.0.4', {
      'x-medchain-client': `10.0.0.${i}`,
      ...(secret === undefined ? {} : { 'x-medchain-proxy': secret }),
    });
  // Three different claimed callers: all charged to 127.0.0.4, whose one token the first spends.
  const r = [await spoof(1), await spoof(2, 'guess'), await spoof(3)];
  assert.equal(
    r.map((x) => x.status),
    [200, 429, 429],
  );
});

test.run();
