/** Sign-in helpers for tests: challenge, answer with a key (optionally for another chain), login. */
import { answerChallenge, type ChallengeReply } from '../../src/client/auth.js';
import { hex, unhex } from '../../src/client/client.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { signFast } from '../../src/crypto/ed25519.js';
import { call, type RpcReply } from './helpers.js';
import type { Who } from './scoped-node.js';

const anon = { anonymous: true };

export async function challenge(url: string, w: Who): Promise<ChallengeReply> {
  const r = await call(url, 'auth_challenge', { identity: hex(w.id) }, anon);
  if (r.error !== undefined) throw new Error(JSON.stringify(r.error));
  return r.result as ChallengeReply;
}

/** auth_login params signed by `key` (default: the identity's own) under `chainId` (default: the challenge's). */
export function answer(w: Who, ch: ChallengeReply, key: Who = w, chainId = ch.chainId) {
  if (key === w && chainId === ch.chainId) return answerChallenge({ ...w }, ch);
  const msg = signingMessage(SignPurpose.SIGN_IN, chainId, new TextEncoder().encode(ch.message));
  return { nonce: ch.nonce, pubkey: hex(key.publicKey), signature: hex(signFast(msg, key.secretKey)) };
}

export async function loginReply(url: string, params: unknown): Promise<RpcReply> {
  return call(url, 'auth_login', params, anon);
}

/** A session token for `w`. */
export async function login(url: string, w: Who): Promise<string> {
  const r = await loginReply(url, answer(w, await challenge(url, w)));
  if (r.error !== undefined) throw new Error(JSON.stringify(r.error));
  return (r.result as { token: string }).token;
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
export { unhex };
