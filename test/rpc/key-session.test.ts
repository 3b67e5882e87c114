/**
 * Key-only sessions (auth_keyChallenge): a patient whose own registration failed has no identity
 * to sign in with, yet must learn why. Her key's session reads the txs that key signed, and
 * nothing else: not another key's txs, not the data of the identity whose key it once was, no
 * scoped topic.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Auth, defaultAuthOptions } from '../../rpc/auth/auth.js';
import { hex, MedchainClient } from '../../src/client/index.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { publicKeyOf, randomSecretKey, signFast } from '../../src/crypto/ed25519.js';
import * as b from '../../src/tx/builders.js';
import { loud } from '../helpers/hooks.js';
import { call, type RpcReply, WsClient } from './helpers.js';
import { type ScopedNode, startScopedNode, type Who, who } from './scoped-node.js';
import { answer, bearer, loginReply } from './signin.js';

const test = suite<{ n: ScopedNode }>('rpc key sessions', {} as { n: ScopedNode });
test.before(
  loud('rpc/key-session', async (ctx) => {
    ctx.n = await startScopedNode();
  }),
);
test.after(async (ctx) => {
  await ctx.n.close();
});

const code = (r: RpcReply): unknown => r.error?.data?.code;
const anon = { anonymous: true };

async function keyChallenge(url: string, w: Who) {
  const r = await call(url, 'auth_keyChallenge', { pubkey: hex(w.publicKey) }, anon);
  if (r.error !== undefined) throw new Error(JSON.stringify(r.error));
  return r.result as {
    nonce: string;
    identity: string;
    chainId: string;
    issuedAt: number;
    expiresAt: number;
    message: string;
  };
}

async function keyLogin(url: string, w: Who): Promise<string> {
  const ch = await keyChallenge(url, w);
  const r = await loginReply(url, answer({ ...w, id: w.publicKey }, ch));
  if (r.error !== undefined) throw new Error(JSON.stringify(r.error));
  assert.is((r.result as { role: string }).role, 'key');
  return (r.result as { token: string }).token;
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

/**
 * A patient registration that fails as it executes (KEY_IN_USE): her key became another
 * identity's key in the same block (the sender rule lets the tx in; the handler fails it).
 */
async function failedRegistration(n: ScopedNode, p: Who): Promise<string> {
  const q = who();
  await n.commit([register(n, q)]);
  const [, tx] = await n.commit(
    [b.rotateKey(n.env(q), p.publicKey, (m) => signFast(m, p.secretKey)), register(n, p)],
    'any',
  );
  return hex((tx as { hash: Uint8Array }).hash);
}

test('a key session reads the receipt of its own failed registration (status and code)', async ({ n }) => {
  const p = who();
  const hash = await failedRegistration(n, p);
  // She cannot sign in as an identity: there is none.
  const token = await keyLogin(n.url, p);
  const r = await call(n.url, 'tx_getReceipt', { hash }, bearer(token));
  const receipt = r.result as { status: string; code: string | null };
  assert.is(r.error, undefined, JSON.stringify(r.error));
  assert.is(receipt.status, 'failed');
  assert.is(receipt.code, 'KEY_IN_USE');
  const w = await call(n.url, 'tx_waitFinal', { hash, timeoutMs: 1000 }, bearer(token));
  assert.is((w.result as { status: string }).status, 'failed');
  assert.is((await call(n.url, 'tx_get', { hash }, bearer(token))).error, undefined);
});

test('OUT_OF_SCOPE: a key session reads no tx another key signed, whether or not it exists', async ({ n }) => {
  const victim = who();
  const hash = await failedRegistration(n, victim);
  const token = await keyLogin(n.url, who());
  for (const h of [hash, hex(n.delegateTx), hex(n.accessTx), `0x${'ab'.repeat(32)}`]) {
    assert.is(code(await call(n.url, 'tx_getReceipt', { hash: h }, bearer(token))), 'OUT_OF_SCOPE', h);
    assert.is(code(await call(n.url, 'tx_get', { hash: h }, bearer(token))), 'OUT_OF_SCOPE', h);
  }
});

test('OUT_OF_SCOPE: a key session of a registered key reads no personal data beyond the txs it signed', async ({
  n,
}) => {
  const token = await keyLogin(n.url, n.patient);
  // The txs her current key signed: yes (she could sign in and read them anyway).
  assert.is((await call(n.url, 'tx_getReceipt', { hash: hex(n.delegateTx) }, bearer(token))).error, undefined);
  for (const [m, p] of [
    ['record_listByPatient', { patient: hex(n.patient.id) }],
    ['consent_listByPatient', { patient: hex(n.patient.id) }],
    ['audit_disclosures', { patient: hex(n.patient.id) }],
    ['record_get', { record: hex(n.record) }],
  ] as const)
    assert.is(code(await call(n.url, m, p, bearer(token))), 'OUT_OF_SCOPE', m);
  const ws = await WsClient.connect(n.wsUrl, { authorization: `Bearer ${token}` });
  assert.is(code(await ws.call('subscribe', ['events', { patient: hex(n.patient.id) }])), 'OUT_OF_SCOPE');
  await ws.close();
});

test('OUT_OF_SCOPE: a key rotated away (or stolen and replaced) no longer reads what it signed', async ({ n }) => {
  const me = who();
  const [reg] = await n.commit([register(n, me)]);
  const hash = hex((reg as { hash: Uint8Array }).hash);
  const token = await keyLogin(n.url, me);
  assert.is((await call(n.url, 'tx_getReceipt', { hash }, bearer(token))).error, undefined);
  const sk = randomSecretKey();
  await n.commit([b.rotateKey(n.env(me), publicKeyOf(sk), (m) => signFast(m, sk))]);
  assert.is(code(await call(n.url, 'tx_getReceipt', { hash }, bearer(token))), 'OUT_OF_SCOPE');
});

test('AUTH_KEY_NOT_CURRENT: a key challenge answered with another key, or a small-order key; AUTH_BAD_SIGNATURE: a forged signature', async ({
  n,
}) => {
  const p = who();
  const q = who();
  const ch = await keyChallenge(n.url, p);
  const other = await loginReply(n.url, answer({ ...p, id: p.publicKey }, ch, { ...q, id: q.publicKey }));
  assert.is(code(other), 'AUTH_KEY_NOT_CURRENT');
  const ch2 = await keyChallenge(n.url, p);
  const forged = { ...answer({ ...p, id: p.publicKey }, ch2), signature: `0x${'00'.repeat(64)}` };
  assert.is(code(await loginReply(n.url, forged)), 'AUTH_BAD_SIGNATURE');
  // A small-order key (the identity point) and the signature anyone can make for it: no session.
  const weak = `0x01${'00'.repeat(31)}`;
  const wc = await call(n.url, 'auth_keyChallenge', { pubkey: weak }, anon);
  const nonce = (wc.result as { nonce: string }).nonce;
  const r = await loginReply(n.url, { nonce, pubkey: weak, signature: `0x01${'00'.repeat(63)}` });
  assert.is(code(r), 'AUTH_KEY_NOT_CURRENT');
});

test('key sessions have their own bounded store: a flood of free keys never crowds out identities', () => {
  const id = who();
  const chain = {
    chainId: 'c',
    genesisHash: `0x${'00'.repeat(32)}`,
    identity: (x: Uint8Array) =>
      hex(x) === hex(id.id) ? { pubkey: id.publicKey, type: 1, suspended: false } : undefined,
    head: () => 1,
  };
  const auth = new Auth({ ...defaultAuthOptions, maxSessions: 2, maxKeySessions: 2 }, chain, () => 0);
  const sign = (ch: { nonce: string; message: string }, w: Who) =>
    signFast(signingMessage(SignPurpose.SIGN_IN, 'c', new TextEncoder().encode(ch.message)), w.secretKey);
  const keys = [who(), who(), who()].map((w) => {
    const ch = auth.keyChallenge(w.publicKey);
    return auth.login(ch.nonce, w.publicKey, sign(ch, w));
  });
  // The third key session pushed out the first; none was refused.
  assert.is(auth.session(keys[0]?.token as string), undefined);
  assert.is(keys[0]?.ended, 'replaced');
  assert.ok(auth.session(keys[2]?.token as string));
  const ch = auth.challenge(id.id);
  const s = auth.login(ch.nonce, id.publicKey, sign(ch, id));
  assert.is(s.role, 'patient');
  assert.is(auth.counts.sessions, 3);
});

test('SDK: a patient whose registration failed learns the failure code with her own client (HTTP and WS)', async ({
  n,
}) => {
  const p = who();
  const hash = await failedRegistration(n, p);
  const c = MedchainClient.http(n.url, { account: p, chainId: 'scope-test' });
  const r = await c.waitFinal(hash, 2000);
  assert.is(r.status, 'failed');
  assert.type(r.code, 'string');
  const ws = await MedchainClient.ws(n.url, { account: p, chainId: 'scope-test' });
  try {
    const w = await ws.waitFinal(hash, 2000);
    assert.is(w.code, r.code);
    // Someone else's tx stays out of her scope: her key session is refused, and the SDK says why
    // she could read nothing (she cannot sign in).
    try {
      await c.waitFinal(hex(n.accessTx), 2000);
      assert.unreachable('read another key’s tx');
    } catch (err) {
      assert.is((err as { reason?: string }).reason, 'AUTH_KEY_NOT_CURRENT');
    }
  } finally {
    await ws.close();
  }
});

test('SDK: waiting for one’s own key rotation still ends in AUTH_KEY_NOT_CURRENT (the old key reads nothing)', async ({
  n,
}) => {
  const me = who();
  await n.commit([register(n, me)]);
  const c = MedchainClient.http(n.url, { account: me, chainId: 'scope-test' });
  assert.is((await c.call('auth_session')).role, 'patient');
  const sk = randomSecretKey();
  const [rot] = await n.commit([b.rotateKey(n.env(me), publicKeyOf(sk), (m) => signFast(m, sk))]);
  try {
    await c.waitFinal(hex((rot as { hash: Uint8Array }).hash), 2000);
    assert.unreachable('read with the old key');
  } catch (err) {
    assert.is((err as { reason?: string }).reason, 'AUTH_KEY_NOT_CURRENT');
  }
});

test.run();
