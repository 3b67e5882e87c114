/**
 * Sign-in (auth_challenge / auth_login / auth_logout) against an in-process node: the happy path,
 * and each refusal with its code: replayed challenge, another chain's signature, stale challenge,
 * a key that is not the identity's current key, expired session, rotated key, suspended identity.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, MedchainClient } from '../../src/client/index.js';
import { publicKeyOf, randomSecretKey, signFast } from '../../src/crypto/ed25519.js';
import * as b from '../../src/tx/builders.js';
import { loud } from '../helpers/hooks.js';
import { call, post, type RpcReply, WsClient } from './helpers.js';
import { type ScopedNode, startScopedNode } from './scoped-node.js';
import { answer, bearer, challenge, login, loginReply } from './signin.js';

const test = suite<{ n: ScopedNode }>('rpc sign-in', {} as { n: ScopedNode });
test.before(
  loud('rpc/signin', async (ctx) => {
    ctx.n = await startScopedNode();
  }),
);
test.after(async (ctx) => {
  await ctx.n.close();
});

const code = (r: RpcReply): unknown => r.error?.data?.code;

test('a patient signs in with its current key and the node knows who calls', async ({ n }) => {
  const ch = await challenge(n.url, n.patient);
  assert.is(ch.chainId, 'scope-test');
  assert.match(ch.message, `wants you to sign in with your MedChain identity:\n${hex(n.patient.id)}`);
  assert.match(ch.message, `Nonce: ${ch.nonce}`);
  const r = await loginReply(n.url, answer(n.patient, ch));
  const s = r.result as { token: string; role: string; identity: string };
  assert.is(s.role, 'patient');
  assert.is(s.identity, hex(n.patient.id));
  const me = await call(n.url, 'auth_session', undefined, bearer(s.token));
  assert.equal((me.result as { role: string }).role, 'patient');
});

test('AUTH_UNKNOWN_CHALLENGE: an answered challenge cannot be replayed', async ({ n }) => {
  const params = answer(n.patient, await challenge(n.url, n.patient));
  assert.ok((await loginReply(n.url, params)).result);
  assert.is(code(await loginReply(n.url, params)), 'AUTH_UNKNOWN_CHALLENGE');
});

test('AUTH_BAD_SIGNATURE: a signature made for another chain id', async ({ n }) => {
  const ch = await challenge(n.url, n.patient);
  assert.is(code(await loginReply(n.url, answer(n.patient, ch, n.patient, 'other-chain'))), 'AUTH_BAD_SIGNATURE');
  // The nonce is spent by the failed try.
  assert.is(code(await loginReply(n.url, answer(n.patient, ch))), 'AUTH_UNKNOWN_CHALLENGE');
});

test('AUTH_CHALLENGE_EXPIRED: a stale challenge', async ({ n }) => {
  const ch = await challenge(n.url, n.patient);
  n.clock.now += n.auth.opts.challengeTtlMs;
  try {
    assert.is(code(await loginReply(n.url, answer(n.patient, ch))), 'AUTH_CHALLENGE_EXPIRED');
  } finally {
    n.clock.now -= n.auth.opts.challengeTtlMs;
  }
});

test('AUTH_KEY_NOT_CURRENT: another key, and an unknown identity, get the same answer', async ({ n }) => {
  const sk = randomSecretKey();
  const stranger = { id: n.patient.id, publicKey: publicKeyOf(sk), secretKey: sk };
  const a = await loginReply(n.url, answer(n.patient, await challenge(n.url, n.patient), stranger));
  assert.is(code(a), 'AUTH_KEY_NOT_CURRENT');
  const nobody = { ...stranger, id: new Uint8Array(32).fill(0xee) };
  const b2 = await loginReply(n.url, answer(nobody, await challenge(n.url, nobody)));
  assert.equal(a.error, b2.error);
});

test('AUTH_SESSION_EXPIRED: HTTP 401 and a WS call error once the session lifetime has passed', async ({ n }) => {
  const token = await login(n.url, n.patient);
  const ws = await WsClient.connect(n.wsUrl, { authorization: `Bearer ${token}` });
  n.clock.now += n.auth.opts.sessionTtlMs;
  try {
    const res = await post(n.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'auth_session' }), bearer(token));
    assert.is(res.status, 401);
    assert.is(code(res.json as RpcReply), 'AUTH_SESSION_EXPIRED');
    const r = await ws.call('record_listByPatient', { patient: hex(n.patient.id) });
    assert.is(code(r), 'AUTH_SESSION_EXPIRED');
    // Public methods still answer on the connection (it may sign in again in band).
    assert.is(((await ws.call('auth_session')).result as { role: string }).role, 'public');
  } finally {
    n.clock.now -= n.auth.opts.sessionTtlMs;
    await ws.close();
  }
});

test('AUTH_SESSION_ENDED: rotating the key ends the sessions signed with the old one', async ({ n }) => {
  const token = await login(n.url, n.other);
  const ws = await WsClient.connect(n.wsUrl, { authorization: `Bearer ${token}` });
  const sk = randomSecretKey();
  const old = { ...n.other };
  await n.commit([b.rotateKey(n.env(n.other), publicKeyOf(sk), (m) => signFast(m, sk))]);
  n.other.publicKey = publicKeyOf(sk);
  n.other.secretKey = sk;
  const r = await call(n.url, 'record_listByPatient', { patient: hex(n.other.id) }, bearer(token));
  assert.is(code(r), 'AUTH_SESSION_ENDED');
  assert.is(r.error?.data?.reason, 'key_rotated');
  assert.is(code(await ws.call('record_listByPatient', { patient: hex(n.other.id) })), 'AUTH_SESSION_ENDED');
  await ws.close();
  // The old key no longer signs in; the new one does.
  assert.is(code(await loginReply(n.url, answer(old, await challenge(n.url, old)))), 'AUTH_KEY_NOT_CURRENT');
  assert.type(await login(n.url, n.other), 'string');
});

test('AUTH_SESSION_ENDED and AUTH_SUSPENDED: a suspended identity loses its session and cannot sign in', async ({
  n,
}) => {
  const token = await login(n.url, n.doctorB);
  // Two denied accesses (the test chain suspends at two).
  await n.commit(
    [
      b.access(n.env(n.doctorB), { patient: n.patient.id, records: [n.record], purpose: 1 }),
      b.access(n.env(n.doctorB), { patient: n.patient.id, records: [n.record], purpose: 1 }),
    ],
    true,
  );
  const r = await call(n.url, 'credential_list', { practitioner: hex(n.doctorB.id) }, bearer(token));
  assert.is(code(r), 'AUTH_SESSION_ENDED');
  assert.is(r.error?.data?.reason, 'suspended');
  assert.is(code(await loginReply(n.url, answer(n.doctorB, await challenge(n.url, n.doctorB)))), 'AUTH_SUSPENDED');
});

test('auth_logout: the token stops working at once', async ({ n }) => {
  const token = await login(n.url, n.patient);
  assert.is((await call(n.url, 'auth_logout', undefined, bearer(token))).result, true);
  const res = await post(n.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'auth_session' }), bearer(token));
  assert.is(res.status, 401);
});

test('WS: a connection signs in in band and out again', async ({ n }) => {
  const ws = await WsClient.connect(n.wsUrl, {}, true);
  const ch = (await ws.call('auth_challenge', { identity: hex(n.patient.id) })).result;
  await ws.call('auth_login', answer(n.patient, ch as Parameters<typeof answer>[1]));
  assert.is(((await ws.call('auth_session')).result as { role: string }).role, 'patient');
  assert.ok((await ws.call('record_listByPatient', { patient: hex(n.patient.id) })).result);
  await ws.call('auth_logout');
  assert.is(code(await ws.call('record_listByPatient', { patient: hex(n.patient.id) })), 'OUT_OF_SCOPE');
  await ws.close();
});

test('WS: after sign-out, the subscription gets no more events of the patient', async ({ n }) => {
  const ws = await WsClient.connect(n.wsUrl, {}, true);
  const ch = (await ws.call('auth_challenge', { identity: hex(n.patient.id) })).result;
  await ws.call('auth_login', answer(n.patient, ch as Parameters<typeof answer>[1]));
  const events = (await ws.call('subscribe', ['events', { patient: hex(n.patient.id) }])).result as string;
  const heads = (await ws.call('subscribe', ['newHeads'])).result as string;
  const access = () => b.access(n.env(n.doctor), { patient: n.patient.id, records: [n.record], purpose: 1 });
  await n.commit([access()]);
  assert.is(((await ws.notification(events, 10_000)).result as { type: string }).type, 'access');
  await ws.call('auth_logout');
  await n.commit([access()]);
  await n.commit([]);
  const last = n.api.chain.head.height;
  // Headers of both blocks arrive (public); the event of the first one, published before the second's header, did not.
  for (;;) {
    const h = (await ws.notification(heads, 10_000)).result as { height: number };
    if (h.height === last) break;
  }
  assert.is(
    await ws
      .take((m) => (m as { params?: { subscription?: string } }).params?.subscription === events, 0)
      .then(
        () => 'delivered',
        () => 'none',
      ),
    'none',
  );
  await ws.close();
});

test('SDK: a client with an account signs in on first use and again when the node ends the session', async ({ n }) => {
  const c = MedchainClient.http(n.url, { account: n.patient, chainId: 'scope-test' });
  const first = await c.call('record_listByPatient', { patient: hex(n.patient.id) });
  assert.is(first.records.length, 1);
  const before = n.auth.counts.sessions;
  n.clock.now += n.auth.opts.sessionTtlMs;
  try {
    const again = await c.call('audit_disclosures', { patient: hex(n.patient.id) });
    assert.ok(again.disclosures.length >= 1);
    assert.ok(n.auth.counts.sessions >= 1 && before >= 1);
  } finally {
    n.clock.now -= n.auth.opts.sessionTtlMs;
  }
  const ws = await MedchainClient.ws(n.url, { account: n.delegate });
  const r = await ws.call('consent_listByPatient', { patient: hex(n.patient.id) });
  assert.is(r.consents.length, 1);
  await ws.close();
});

test('SDK over WS: the renewal timer signs the connection in again before expiry, so events keep flowing', async ({
  n,
}) => {
  // An injected clock and timer (the node's test clock): no real waiting.
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const c = await MedchainClient.ws(n.url, {
    account: n.patient,
    timers: {
      now: () => n.clock.now,
      setTimeout: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimeout: (t) => {
        (t as { cleared: boolean }).cleared = true;
      },
    },
  });
  const ttl = n.auth.opts.sessionTtlMs;
  const t0 = n.clock.now;
  try {
    assert.is(timers.length, 1);
    // Renewal at 80% of the session's lifetime, well before it ends.
    assert.is(timers[0]?.ms, ttl * 0.8);
    const got: unknown[] = [];
    await c.subscribe('events', { patient: hex(n.patient.id) }, (e) => got.push(e));
    const access = () => b.access(n.env(n.doctor), { patient: n.patient.id, records: [n.record], purpose: 1 });
    n.clock.now = t0 + ttl * 0.8;
    timers[0]?.fn();
    // The renewal is in band and asynchronous: it has run once it schedules the next one.
    for (let i = 0; i < 500 && timers.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(timers.length, 2, 'renewed');
    assert.is(timers[1]?.ms, ttl * 0.8);
    // The first session is over; the connection's new one still receives the patient's events.
    n.clock.now = t0 + ttl + 1;
    await n.commit([access()]);
    for (let i = 0; i < 500 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is((got[0] as { type?: string } | undefined)?.type, 'access');
  } finally {
    n.clock.now = t0;
    await c.close();
  }
  assert.ok(timers[1]?.cleared, 'close() stops the renewal');
});

test('SDK: the client refuses to sign a challenge of another chain', async ({ n }) => {
  const c = MedchainClient.http(n.url, { account: n.patient, chainId: 'main-chain' });
  try {
    await c.call('record_listByPatient', { patient: hex(n.patient.id) });
    assert.unreachable('signed');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'AUTH_BAD_CHALLENGE');
  }
});

test.run();
