/**
 * Sign-in for the SDK: answers a node's auth_challenge with the account's key (under the sign-in
 * signing domain of the chain) and keeps the session, signing in again before it expires or as
 * soon as the node says it ended. Runs in browsers (noble ed25519, no node: imports).
 */
import * as ed from '@noble/ed25519';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import type { Account } from './tx.js';

// Local, so that client.ts (which uses this module) and this module do not import each other.
const hex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

export interface ChallengeReply {
  nonce: string;
  identity: string;
  chainId: string;
  issuedAt: number;
  expiresAt: number;
  message: string;
}

export interface LoginReply {
  token: string;
  identity: string;
  role: string;
  expiresAt: number;
}

export class SignInError extends Error {
  constructor(
    /**
     * AUTH_BAD_CHALLENGE: the node asked to sign for another account or chain. AUTH_NOT_SIGNED_IN:
     * a scoped topic was asked for while the account cannot sign in (not on chain yet): `cause`
     * holds the node's refusal.
     */
    readonly code: 'AUTH_BAD_CHALLENGE' | 'AUTH_NOT_SIGNED_IN',
    options?: { cause?: unknown },
  ) {
    super(code, options);
    this.name = 'SignInError';
  }
}

/**
 * The auth_login params for a challenge. Refuses to sign a challenge that is not for this account
 * (its identity, or with `key` its public key) or (when given) this chain: a node cannot make the
 * SDK sign for someone else.
 */
export function answerChallenge(
  account: Account,
  ch: ChallengeReply,
  chainId?: string,
  key = false,
): { nonce: string; pubkey: string; signature: string } {
  const lines = ch.message.split('\n');
  const ok =
    ch.identity.toLowerCase() === hex(key ? account.publicKey : account.id) &&
    lines[1] === ch.identity &&
    lines.includes(`Chain ID: ${ch.chainId}`) &&
    lines.includes(`Nonce: ${ch.nonce}`) &&
    (chainId === undefined || chainId === ch.chainId);
  if (!ok) throw new SignInError('AUTH_BAD_CHALLENGE');
  const msg = signingMessage(SignPurpose.SIGN_IN, ch.chainId, new TextEncoder().encode(ch.message));
  return { nonce: ch.nonce, pubkey: hex(account.publicKey), signature: hex(ed.sign(msg, account.secretKey)) };
}

/** Codes with which a node says "sign in (again)". */
export const SIGN_IN_AGAIN: ReadonlySet<string> = new Set([
  'UNAUTHORIZED',
  'AUTH_SESSION_EXPIRED',
  'AUTH_SESSION_ENDED',
]);

/** Renew this long before the node's expiry (clock skew, slow calls). */
const RENEW_MARGIN = 0.2;
/** A renewal that failed while the session still lives is tried again after this, doubling up to the cap. */
const RENEW_RETRY_MS = 1_000;
const RENEW_RETRY_MAX_MS = 30_000;

interface Held {
  token: string;
  /** When to sign in again (moved on by a failed renewal's backoff). */
  renewAt: number;
  /** The node's expiry, on our clock. */
  expiresAt: number;
  /** Failed renewals so far. */
  failures: number;
}

/** The session of one account on one node: as its identity, or with `key` as its key alone. */
export class SessionKeeper {
  private session: Held | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly account: Account,
    /** A call without credentials (the public methods auth_challenge and auth_login). */
    private readonly call: (method: string, params: unknown) => Promise<unknown>,
    private readonly chainId?: string,
    private readonly now: () => number = Date.now,
    /** A key-only session (auth_keyChallenge): reads the txs this key signed, nothing else. */
    private readonly key = false,
  ) {}

  /**
   * A live session token: signs in on first use and again before expiry. The renewal before expiry
   * runs beside the calls, which keep the live token meanwhile: a renewal that fails (node busy,
   * network hiccup) is tried again after a backoff rather than failing a call the old session can
   * still make. Once the session has expired, the call waits for a new sign-in and sees its error.
   */
  token(): Promise<string> {
    const s = this.session;
    const now = this.now();
    if (s !== null && now < s.renewAt) return Promise.resolve(s.token);
    if (s !== null && now < s.expiresAt) {
      this.pending ??= this.signIn(s);
      return Promise.resolve(s.token);
    }
    this.pending ??= this.signIn(null);
    return this.pending;
  }

  /** The node refused the session: the next token() signs in again. */
  invalidate(): void {
    this.session = null;
  }

  private signIn(renewing: Held | null): Promise<string> {
    const p = this.login().finally(() => {
      this.pending = null;
    });
    if (renewing !== null)
      p.catch(() => {
        // Still the session in use (not invalidated meanwhile): back off before the next attempt.
        if (this.session === renewing)
          renewing.renewAt = this.now() + Math.min(RENEW_RETRY_MAX_MS, RENEW_RETRY_MS * 2 ** renewing.failures++);
      });
    return p;
  }

  private async login(): Promise<string> {
    const started = this.now();
    const ch = (
      this.key
        ? await this.call('auth_keyChallenge', { pubkey: hex(this.account.publicKey) })
        : await this.call('auth_challenge', { identity: hex(this.account.id) })
    ) as ChallengeReply;
    const r = (await this.call('auth_login', answerChallenge(this.account, ch, this.chainId, this.key))) as LoginReply;
    // The node's clock may differ from ours: keep its lifetime, measured from our start.
    const lifetime = r.expiresAt - ch.issuedAt;
    this.session = {
      token: r.token,
      renewAt: started + lifetime * (1 - RENEW_MARGIN),
      expiresAt: started + lifetime,
      failures: 0,
    };
    return r.token;
  }
}
