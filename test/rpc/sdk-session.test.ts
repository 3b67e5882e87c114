/**
 * The SDK's session over WebSocket, against an in-process node and on injected clocks (no real
 * waits): an account not on chain opens with the public scope and signs in once registered; a
 * failed renewal is retried with a bounded, capped backoff.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { hex, MedchainClient, type Timers } from '../../src/client/index.js';
import { signFast } from '../../src/crypto/ed25519.js';
import * as b from '../../src/tx/builders.js';
import { loud } from '../helpers/hooks.js';
import { type ScopedNode, startScopedNode, type Who, who } from './scoped-node.js';

const test = suite<{ n: ScopedNode }>('SDK sessions over WS', {} as { n: ScopedNode });
test.before(
  loud('rpc/sdk-session', async (ctx) => {
    ctx.n = await startScopedNode();
  }),
);
test.after(async (ctx) => {
  await ctx.n.close();
});

interface FakeTimer {
  fn: () => void;
  ms: number;
  cleared: boolean;
}

/** Timers that only record what is scheduled; the test fires them. */
function fakeTimers(now: () => number): Timers & { all: FakeTimer[] } {
  const all: FakeTimer[] = [];
  return {
    all,
    now,
    setTimeout: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      all.push(t);
      return t;
    },
    clearTimeout: (t) => {
      (t as FakeTimer).cleared = true;
    },
  };
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok(), 'condition reached');
}

const register = (n: ScopedNode, p: Who) => {
  const { signer: _s, pubkey: _p, ...e } = n.env(p);
  return b.registerPatient({
    ...e,
    pubkey: p.publicKey,
    org: n.orgA.id,
    orgSign: (m) => signFast(m, n.orgA.secretKey),
  });
};

test('an account not on chain opens with the public scope, is refused AUTH_NOT_SIGNED_IN for events, and signs in once registered', async ({
  n,
}) => {
  const p = who();
  const clock = { now: 0 };
  const c = await MedchainClient.ws(n.url, { account: p, chainId: 'scope-test', timers: fakeTimers(() => clock.now) });
  try {
    assert.is((await c.call('auth_session')).role, 'public');
    assert.ok((await c.status()).headHeight >= 1);
    const off = await c.subscribe('newHeads', undefined, () => {});
    await off();
    try {
      await c.subscribe('events', { patient: hex(p.id) }, () => {});
      assert.unreachable('subscribed');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'AUTH_NOT_SIGNED_IN');
      assert.is((err as { cause?: { reason?: string } }).cause?.reason, 'AUTH_KEY_NOT_CURRENT');
    }
    await n.commit([register(n, p)]);
    clock.now += 1_000;
    const r = await c.call('record_listByPatient', { patient: hex(p.id) });
    assert.is(r.records.length, 0);
    assert.is((await c.call('auth_session')).role, 'patient');
    const off2 = await c.subscribe('events', { patient: hex(p.id) }, () => {});
    await off2();
  } finally {
    await c.close();
  }
});

test('a failed renewal is retried after 1, 2, 4 … s (capped at 30 s), at most 8 times, and succeeds once the node answers', async ({
  n,
}) => {
  let failing = false;
  let attempts = 0;
  /** Answers auth_challenge with an error while `failing` (a node too busy to sign anyone in). */
  class FlakyWs extends WebSocket {
    override send(data: unknown): void {
      const text = String(data);
      if (text.includes('"auth_challenge"')) attempts++;
      if (!failing || !text.includes('"auth_challenge"')) {
        super.send(text);
        return;
      }
      const id = (JSON.parse(text) as { id: number }).id;
      const reply = { jsonrpc: '2.0', id, error: { code: -32000, message: 'busy', data: { code: 'BUSY' } } };
      setImmediate(() => (this.onmessage as (ev: { data: string }) => void)({ data: JSON.stringify(reply) }));
    }
  }
  const timers = fakeTimers(() => n.clock.now);
  const c = await MedchainClient.ws(n.url, {
    account: n.patient,
    WebSocket: FlakyWs as never,
    timers,
  });
  const ttl = n.auth.opts.sessionTtlMs;
  const last = () => timers.all[timers.all.length - 1] as FakeTimer;
  try {
    assert.is(timers.all.length, 1);
    failing = true;
    // Two failures, then the node answers again.
    for (const ms of [1_000, 2_000]) {
      const k = timers.all.length;
      last().fn();
      await until(() => timers.all.length > k);
      assert.is(last().ms, ms);
    }
    failing = false;
    let k = timers.all.length;
    last().fn();
    await until(() => timers.all.length > k);
    assert.is(last().ms, ttl * 0.8, 'renewed: the next renewal is scheduled');
    assert.is((await c.call('auth_session')).role, 'patient');
    // A renewal that keeps failing: 8 attempts, then no more timers (calls sign in when asked to).
    failing = true;
    const delays: number[] = [];
    for (;;) {
      k = timers.all.length;
      const tried = attempts;
      last().fn();
      await until(() => attempts > tried);
      // One round trip: the failed attempt's handler has run by the time this reply is back.
      await c.status();
      if (timers.all.length === k) break;
      delays.push(last().ms);
    }
    assert.equal(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  } finally {
    failing = false;
    await c.close();
  }
});

test.run();
