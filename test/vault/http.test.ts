/**
 * The vault's HTTP edge (issue #12 findings 8 and 10): a request is authenticated from its header
 * before its body is read; per-address rate, connection and per-identity upload limits answer
 * with coded 429/413 refusals; the refusal log is readable only by the custodian organization or
 * the operator token, newest first with a cursor, capped, and junk from unregistered keys is
 * counted, not stored.
 */

import type { Server } from 'node:http';
import { request } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateAccount } from '../../src/client/tx.js';
import { REQUEST_HEADER, VaultErrorCode } from '../../src/client/vault/protocol.js';
import { to0x, utf8 } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { listenVault } from '../../src/vault/http.js';
import type { VaultOptions } from '../../src/vault/options.js';
import { signedHeader, VaultFixture } from './fake-chain.js';

interface Ctx {
  f: VaultFixture;
  server: Server;
  url: string;
}
const test = suite<Ctx>('vault http edge');
const TOKEN = 'operator-secret';

async function setup(ctx: Ctx, o: Partial<VaultOptions> = {}): Promise<void> {
  ctx.f = await VaultFixture.create({ operatorToken: TOKEN, ...o });
  ({ server: ctx.server, url: ctx.url } = await listenVault(ctx.f.service, '127.0.0.1', 0));
}
test.after.each(async (ctx) => {
  ctx.server.closeAllConnections();
  await new Promise<void>((r) => ctx.server.close(() => r()));
  await ctx.f.close();
});

/** A raw request; resolves with the status and JSON body as soon as the response arrives (the body may be unsent). */
function send(
  url: string,
  path: string,
  o: { method?: string; headers?: Record<string, string | number>; body?: Uint8Array },
): Promise<{ status: number; body: { error?: { code: string } } & Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      let s = '';
      res.on('data', (c) => {
        s += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: s === '' ? {} : JSON.parse(s) }));
    });
    req.on('error', reject);
    if (o.body !== undefined) req.end(o.body);
    else if (o.headers?.['content-length'] === undefined) req.end();
    // else: the declared body is never sent; only an answer given before reading it arrives.
    else req.flushHeaders();
  });
}

const putHeader = (f: VaultFixture, a = f.patient, record = new Uint8Array(32).fill(1), blob = utf8('x')) =>
  to0x(signedHeader(a, f.org.id, 'put', record, f.patient.id, sha256(blob), '', f.clock.now));

test('finding 8: a bad request header is refused before its 16 MiB body is read', async (ctx) => {
  await setup(ctx);
  const stranger = generateAccount();
  const r = await send(ctx.url, `/v1/records/${to0x(new Uint8Array(32).fill(1))}`, {
    method: 'PUT',
    headers: { [REQUEST_HEADER]: putHeader(ctx.f, stranger), 'content-length': 16 * 1024 * 1024 },
  });
  assert.is(r.status, 401);
  assert.is(r.body.error?.code, VaultErrorCode.KEY_MISMATCH);
});

test('finding 8: an upload over the identity’s quota is refused 413 QUOTA_EXCEEDED before its body is read', async (ctx) => {
  await setup(ctx, { maxBytesPerIdentity: 1_000 });
  const r = await send(ctx.url, `/v1/records/${to0x(new Uint8Array(32).fill(1))}`, {
    method: 'PUT',
    headers: { [REQUEST_HEADER]: putHeader(ctx.f), 'content-length': 2_000 },
  });
  assert.is(r.status, 413);
  assert.is(r.body.error?.code, VaultErrorCode.QUOTA_EXCEEDED);
});

test('finding 8: concurrent uploads cannot overshoot the quota: bytes are reserved at admission', async (ctx) => {
  await setup(ctx, { maxBytesPerIdentity: 1_000 });
  const f = ctx.f;
  const blob = new Uint8Array(600).fill(7);
  const rec = (i: number) => new Uint8Array(32).fill(i);
  const auth = (i: number) =>
    f.service.authenticate(
      signedHeader(f.patient, f.org.id, 'put', rec(i), f.patient.id, sha256(blob), '', f.clock.now),
      'put',
      rec(i),
    );
  const first = await f.service.admitUpload(await auth(1), rec(1), 600);
  // A second upload admitted while the first body is still arriving would overshoot.
  const second = f.service.admitUpload(await auth(2), rec(2), 600);
  await second.then(
    () => assert.unreachable('admitted'),
    (err) => assert.is(err.code, VaultErrorCode.QUOTA_EXCEEDED),
  );
  // The holder's own put is not counted twice.
  await f.service.put(first, rec(1), blob);
  first.release();
  assert.is(f.store.uploadedBy(f.patient.id), 600);
});

test('finding 8: an upload without a declared length is refused BAD_REQUEST', async (ctx) => {
  await setup(ctx);
  const r = await send(ctx.url, `/v1/records/${to0x(new Uint8Array(32).fill(1))}`, {
    method: 'PUT',
    headers: { [REQUEST_HEADER]: putHeader(ctx.f), 'transfer-encoding': 'chunked' },
  });
  assert.is(r.status, 400);
});

test('finding 8: requests beyond the per-address rate are refused 429 RATE_LIMITED', async (ctx) => {
  await setup(ctx, { ratePerAddress: 1 });
  const codes: number[] = [];
  for (let i = 0; i < 10; i++) codes.push((await send(ctx.url, '/v1/health', {})).status);
  assert.equal(codes.slice(0, 2), [200, 200]);
  assert.ok(codes.includes(429), String(codes));
});

test('finding 8: connections beyond maxConnections are dropped', async (ctx) => {
  await setup(ctx, { maxConnections: 1 });
  // One connection held open by a request whose body never comes.
  const held = request(`${ctx.url}/v1/records/${to0x(new Uint8Array(32).fill(1))}/keys`, {
    method: 'PUT',
    headers: { 'content-length': 10 },
  });
  held.on('error', () => {});
  held.flushHeaders();
  await new Promise<void>((resolve) => held.on('socket', (s) => s.on('connect', () => resolve())));
  let dropped = false;
  for (let i = 0; i < 50 && !dropped; i++)
    dropped = await send(ctx.url, '/v1/health', {}).then(
      () => false,
      () => true,
    );
  assert.ok(dropped, 'a second connection was served');
  held.destroy();
});

test('finding 10: the refusal log needs the custodian org or the operator token', async (ctx) => {
  await setup(ctx);
  assert.is((await send(ctx.url, '/v1/refusals', {})).status, 403);
  const asPatient = to0x(
    signedHeader(
      ctx.f.patient,
      ctx.f.org.id,
      'refusals',
      new Uint8Array(32),
      new Uint8Array(32),
      new Uint8Array(32),
      '',
      ctx.f.clock.now,
    ),
  );
  assert.is((await send(ctx.url, '/v1/refusals', { headers: { [REQUEST_HEADER]: asPatient } })).status, 403);
  assert.is((await send(ctx.url, '/v1/refusals', { headers: { authorization: 'Bearer wrong' } })).status, 403);
  assert.is((await send(ctx.url, '/v1/refusals', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  const asOrg = to0x(
    signedHeader(
      ctx.f.org,
      ctx.f.org.id,
      'refusals',
      new Uint8Array(32),
      new Uint8Array(32),
      new Uint8Array(32),
      '',
      ctx.f.clock.now,
    ),
  );
  assert.is((await send(ctx.url, '/v1/refusals', { headers: { [REQUEST_HEADER]: asOrg } })).status, 200);
});

test('finding 10: refusals newest first with a cursor, capped; junk from unregistered keys only counted', async (ctx) => {
  await setup(ctx, { maxRefusals: 5 });
  const f = ctx.f;
  // Eight authenticated refusals: deposits of keys for records that do not exist.
  for (let i = 0; i < 8; i++) {
    const record = new Uint8Array(32).fill(i + 1);
    const body = utf8('not cbor');
    const h = signedHeader(f.patient, f.org.id, 'keys', record, f.patient.id, sha256(body), '', f.clock.now);
    f.clock.now += 1;
    await f.service.putKeys(h, record, body).catch(() => undefined);
  }
  // Fifty junk requests from unregistered keys.
  for (let i = 0; i < 50; i++) {
    const r = await send(ctx.url, `/v1/records/${to0x(new Uint8Array(32).fill(1))}`, {
      method: 'PUT',
      headers: { [REQUEST_HEADER]: putHeader(f, generateAccount()), 'content-length': 1 },
      body: utf8('x'),
    });
    assert.is(r.status, 401);
  }
  const auth = { authorization: `Bearer ${TOKEN}` };
  const p1 = (await send(ctx.url, '/v1/refusals?limit=3', { headers: auth })).body as {
    refusals: { record: string }[];
    next: string | null;
    unauthenticated: Record<string, number>;
  };
  const id = (i: number): string => to0x(new Uint8Array(32).fill(i));
  assert.equal(
    p1.refusals.map((r) => r.record),
    [id(8), id(7), id(6)],
  );
  assert.is(p1.unauthenticated[VaultErrorCode.KEY_MISMATCH], 50);
  assert.ok(p1.next);
  const p2 = (await send(ctx.url, `/v1/refusals?limit=3&before=${p1.next}`, { headers: auth })).body as typeof p1;
  assert.equal(
    p2.refusals.map((r) => r.record),
    [id(5), id(4)],
  );
  assert.is(p2.next, null);
  assert.is(f.store.refusalRows, 5);
});

test.run();
