/**
 * The SDK's session over HTTP (src/client/auth.ts SessionKeeper): renewed before expiry beside the
 * calls; a renewal that fails while the session lives is retried after a backoff and the calls keep
 * the live token; once expired, a call waits for the new sign-in and sees its error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionKeeper } from '../../src/client/auth.js';
import { generateAccount, hex } from '../../src/client/index.js';

const LIFETIME = 100_000;

/** A node that answers sign-ins with tokens t1, t2, ... while `up`, and fails every call while down. */
function fakeNode() {
  const account = generateAccount();
  const identity = hex(account.id);
  const node = { up: true, now: 0, logins: 0, attempts: 0 };
  const call = async (method: string): Promise<unknown> => {
    if (method === 'auth_challenge') node.attempts++;
    if (!node.up) throw new Error('node busy');
    if (method === 'auth_challenge')
      return {
        nonce: `n${node.attempts}`,
        identity,
        chainId: 'c',
        issuedAt: node.now,
        expiresAt: node.now + 60_000,
        message: `Sign in\n${identity}\nChain ID: c\nNonce: n${node.attempts}`,
      };
    node.logins++;
    return { token: `t${node.logins}`, identity, role: 'patient', expiresAt: node.now + LIFETIME };
  };
  const keeper = new SessionKeeper(account, call, undefined, () => node.now);
  return { node, keeper };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the first call signs in; calls before the renewal point reuse the token', async () => {
  const { node, keeper } = fakeNode();
  assert.is(await keeper.token(), 't1');
  node.now = LIFETIME * 0.79;
  assert.is(await keeper.token(), 't1');
  assert.is(node.attempts, 1);
});

test('renewal runs beside the calls: the live token is used until the new one arrives', async () => {
  const { node, keeper } = fakeNode();
  await keeper.token();
  node.now = LIFETIME * 0.85;
  assert.is(await keeper.token(), 't1', 'no wait on the renewal');
  await settle();
  assert.is(await keeper.token(), 't2');
  assert.is(node.attempts, 2);
});

test('a failed renewal does not fail the call and is retried after a doubling backoff', async () => {
  const { node, keeper } = fakeNode();
  await keeper.token();
  node.up = false;
  node.now = LIFETIME * 0.85;
  assert.is(await keeper.token(), 't1');
  await settle();
  assert.is(node.attempts, 2);
  // Within the first backoff (1 s): no new attempt, the live token still serves.
  node.now += 500;
  assert.is(await keeper.token(), 't1');
  await settle();
  assert.is(node.attempts, 2);
  node.now += 600;
  assert.is(await keeper.token(), 't1');
  await settle();
  assert.is(node.attempts, 3, 'retried after 1 s');
  // The next wait is 2 s.
  node.now += 1_500;
  await keeper.token();
  await settle();
  assert.is(node.attempts, 3);
  node.up = true;
  node.now += 600;
  await keeper.token();
  await settle();
  assert.is(await keeper.token(), 't2');
});

test('after expiry a call waits for a new sign-in and sees its error', async () => {
  const { node, keeper } = fakeNode();
  await keeper.token();
  node.up = false;
  node.now = LIFETIME;
  try {
    await keeper.token();
    assert.unreachable('an expired session is not used');
  } catch (err) {
    assert.is((err as Error).message, 'node busy');
  }
  node.up = true;
  assert.is(await keeper.token(), 't2');
});

test('invalidate: the next call signs in again at once', async () => {
  const { node, keeper } = fakeNode();
  await keeper.token();
  keeper.invalidate();
  assert.is(await keeper.token(), 't2');
  assert.is(node.attempts, 2);
});

test.run();
