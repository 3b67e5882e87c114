/**
 * Sign-in with a MedChain key (EIP-4361 in spirit): a single-use challenge bound to the chain id
 * and genesis, signed under the sign-in domain with the identity's current key, gives a short-lived
 * bearer session. Every use re-judges the session against committed state, once per block: a
 * rotated key or a suspension ends it.
 */
import { randomBytes } from 'node:crypto';
import { equal, to0x } from '../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { isValidPublicKey, verify } from '../../src/crypto/ed25519.js';
import { MedchainError } from '../../src/errors.js';
import { IdentityType } from '../../src/tx/kinds.js';
import type { Session } from './caller.js';
import { type Challenge, ChallengeStore } from './challenges.js';
import { jobNow } from './clock.js';
import { signInMessage } from './message.js';
import { SessionStore } from './sessions.js';

export const AuthErrorCode = {
  /** Unknown, already used (replay) or forgotten nonce. */
  UNKNOWN_CHALLENGE: 'AUTH_UNKNOWN_CHALLENGE',
  CHALLENGE_EXPIRED: 'AUTH_CHALLENGE_EXPIRED',
  /** The key is not the current key of the identity (also: no such identity; one answer for both). */
  KEY_NOT_CURRENT: 'AUTH_KEY_NOT_CURRENT',
  /** Not a signature of this challenge by that key on this chain. */
  BAD_SIGNATURE: 'AUTH_BAD_SIGNATURE',
  SUSPENDED: 'AUTH_SUSPENDED',
  SESSION_EXPIRED: 'AUTH_SESSION_EXPIRED',
  /** Logged out, or ended by a key rotation or a suspension (meta.reason). */
  SESSION_ENDED: 'AUTH_SESSION_ENDED',
  TOO_MANY_SESSIONS: 'AUTH_TOO_MANY_SESSIONS',
} as const;
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];

export interface AuthOptions {
  /** How long a challenge may be answered. */
  challengeTtlMs: number;
  /** Session lifetime; clients sign in again (the SDK does it transparently). */
  sessionTtlMs: number;
  maxChallenges: number;
  maxSessions: number;
  /** A new sign-in beyond this ends the identity's oldest session. */
  maxSessionsPerIdentity: number;
  /** Shown first in the sign-in text (EIP-4361 `domain`). */
  domain: string;
  /**
   * Key-only sessions (auth_keyChallenge) cost a caller nothing to make, so they have their own
   * store: when it is full the oldest goes (its holder signs in again), and identities' sessions
   * are never crowded out.
   */
  maxKeySessions: number;
}

export const defaultAuthOptions: AuthOptions = {
  challengeTtlMs: 60_000,
  sessionTtlMs: 15 * 60_000,
  maxChallenges: 10_000,
  maxSessions: 10_000,
  maxSessionsPerIdentity: 8,
  domain: 'medchain',
  maxKeySessions: 2_000,
};

/** What sign-in needs from committed state. */
export interface IdentityFacts {
  pubkey: Uint8Array;
  type: number;
  suspended: boolean;
}

export interface AuthChain {
  readonly chainId: string;
  /** 0x hex. */
  readonly genesisHash: string;
  identity(id: Uint8Array): IdentityFacts | undefined;
  /** An object that changes with every committed block (the head). */
  head(): unknown;
}

const ROLES = {
  [IdentityType.PATIENT]: 'patient',
  [IdentityType.PRACTITIONER]: 'practitioner',
  [IdentityType.ORGANIZATION]: 'organization',
} as const;

const NONCE_BYTES = 16;
const TOKEN_BYTES = 32;

export interface ChallengeJson {
  nonce: string;
  identity: string;
  chainId: string;
  issuedAt: number;
  expiresAt: number;
  message: string;
}

export class Auth {
  private readonly challenges: ChallengeStore;
  private readonly sessions: SessionStore;
  private readonly keySessions: SessionStore;

  constructor(
    readonly opts: AuthOptions,
    private readonly chain: AuthChain,
    /** Wall clock (ms): sessions and challenges are node-local, never part of consensus. */
    private readonly now: () => number = jobNow,
  ) {
    this.challenges = new ChallengeStore(opts.maxChallenges);
    this.sessions = new SessionStore(opts.maxSessions, opts.maxSessionsPerIdentity);
    this.keySessions = new SessionStore(opts.maxKeySessions, 2, true);
  }

  get counts(): { challenges: number; sessions: number } {
    return { challenges: this.challenges.size, sessions: this.sessions.size + this.keySessions.size };
  }

  /**
   * A challenge for a key without an identity (a patient whose registration failed): its session
   * reads only receipts of txs that key signed (visibility.ts `signedBy`). Same text shape, its own
   * first line and statement; the node keeps which kind it issued with the nonce.
   */
  keyChallenge(pubkey: Uint8Array): ChallengeJson {
    return this.challenge(pubkey, true);
  }

  challenge(identity: Uint8Array, key = false): ChallengeJson {
    const now = this.now();
    const nonce = randomBytes(NONCE_BYTES).toString('hex');
    const expiresAt = now + this.opts.challengeTtlMs;
    const id = to0x(identity);
    const message = signInMessage(
      {
        domain: this.opts.domain,
        identity: id,
        chainId: this.chain.chainId,
        genesisHash: this.chain.genesisHash,
        nonce,
        issuedAt: now,
        expiresAt,
      },
      key,
    );
    const c: Challenge = { nonce, identity: identity.slice(), key, message, issuedAt: now, expiresAt };
    this.challenges.add(c, now);
    return { nonce, identity: id, chainId: this.chain.chainId, issuedAt: now, expiresAt, message };
  }

  /** Checks cheapest first, the signature last; the nonce is spent whatever the outcome. */
  login(nonce: string, pubkey: Uint8Array, signature: Uint8Array): Session {
    const now = this.now();
    const c = this.challenges.take(nonce);
    if (c === undefined) throw new MedchainError(AuthErrorCode.UNKNOWN_CHALLENGE);
    if (now >= c.expiresAt) throw new MedchainError(AuthErrorCode.CHALLENGE_EXPIRED);
    if (c.key) return this.keyLogin(c, pubkey, signature, now);
    // One answer for "no such identity" and "another key": sign-in is no existence oracle.
    const me = this.chain.identity(c.identity);
    if (me === undefined || !equal(me.pubkey, pubkey)) throw new MedchainError(AuthErrorCode.KEY_NOT_CURRENT);
    const msg = signingMessage(SignPurpose.SIGN_IN, this.chain.chainId, new TextEncoder().encode(c.message));
    if (!verify(signature, msg, pubkey)) throw new MedchainError(AuthErrorCode.BAD_SIGNATURE);
    // Told only to the key's holder, after the signature.
    if (me.suspended) throw new MedchainError(AuthErrorCode.SUSPENDED);
    const role = ROLES[me.type as keyof typeof ROLES];
    if (role === undefined) throw new MedchainError(AuthErrorCode.KEY_NOT_CURRENT);
    const s: Session = {
      token: `0x${randomBytes(TOKEN_BYTES).toString('hex')}`,
      identity: c.identity,
      idHex: to0x(c.identity),
      pubkey: pubkey.slice(),
      role,
      expiresAt: now + this.opts.sessionTtlMs,
      ended: null,
      checkedAt: this.chain.head(),
    };
    if (!this.sessions.add(s, now)) throw new MedchainError(AuthErrorCode.TOO_MANY_SESSIONS);
    return s;
  }

  /** The key itself is the subject: its holder proves possession, nothing on chain is asked. */
  private keyLogin(c: Challenge, pubkey: Uint8Array, signature: Uint8Array, now: number): Session {
    // A small-order or non-canonical key would let anyone forge its signature: never a session.
    if (!equal(c.identity, pubkey) || !isValidPublicKey(pubkey)) throw new MedchainError(AuthErrorCode.KEY_NOT_CURRENT);
    const msg = signingMessage(SignPurpose.SIGN_IN, this.chain.chainId, new TextEncoder().encode(c.message));
    if (!verify(signature, msg, pubkey)) throw new MedchainError(AuthErrorCode.BAD_SIGNATURE);
    const s: Session = {
      token: `0x${randomBytes(TOKEN_BYTES).toString('hex')}`,
      identity: pubkey.slice(),
      idHex: `key:${to0x(pubkey)}`,
      pubkey: pubkey.slice(),
      role: 'key',
      expiresAt: now + this.opts.sessionTtlMs,
      ended: null,
      checkedAt: null,
    };
    this.keySessions.add(s, now);
    return s;
  }

  logout(s: Session): boolean {
    if (s.role === 'key') {
      const had = this.keySessions.end(s.token, 'logout');
      s.ended ??= 'logout';
      return had;
    }
    const had = this.sessions.end(s.token, 'logout');
    s.ended ??= 'logout';
    return had;
  }

  /** The live session of a bearer token, or undefined (unknown, logged out or purged). */
  session(token: string): Session | undefined {
    return this.sessions.get(token) ?? this.keySessions.get(token);
  }

  /**
   * null while the session may be used, else the coded error that ended it. Key and suspension are
   * judged against committed state once per block (two small reads, cached by the store).
   */
  judge(s: Session): MedchainError | null {
    if (s.ended !== null) return ended(s.ended);
    if (this.now() >= s.expiresAt) {
      (s.role === 'key' ? this.keySessions : this.sessions).end(s.token, 'expired');
      return new MedchainError(AuthErrorCode.SESSION_EXPIRED);
    }
    // A key session has no identity to re-judge: each read re-checks the key against the tx's signer.
    if (s.role === 'key') return null;
    const head = this.chain.head();
    if (s.checkedAt === head) return null;
    const me = this.chain.identity(s.identity);
    const reason = me === undefined || !equal(me.pubkey, s.pubkey) ? 'key_rotated' : me.suspended ? 'suspended' : null;
    if (reason !== null) {
      this.sessions.end(s.token, reason);
      s.ended = reason;
      return ended(reason);
    }
    s.checkedAt = head;
    return null;
  }

  /** Drops expired challenges and sessions (also done lazily when the stores fill up). */
  purge(): void {
    const now = this.now();
    this.challenges.purge(now);
    this.sessions.purge(now);
    this.keySessions.purge(now);
  }
}

const ended = (reason: string): MedchainError =>
  reason === 'expired'
    ? new MedchainError(AuthErrorCode.SESSION_EXPIRED)
    : new MedchainError(AuthErrorCode.SESSION_ENDED, { reason });
