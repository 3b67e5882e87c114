/**
 * Who is calling: decided once per HTTP request or WS connection from the bearer token, then
 * re-judged on every use (a session ends with expiry, logout, key rotation or suspension).
 */

/** 'key': a key-only session (no on-chain identity yet), for the receipts of txs that key signed. */
export type Role = 'public' | 'operator' | 'patient' | 'practitioner' | 'organization' | 'key';

/** A signed-in identity's session, held in memory by the node that issued it. */
export interface Session {
  readonly token: string;
  /** The identity; for a key session, the public key itself (it has no identity). */
  readonly identity: Uint8Array;
  /** 0x hex of `identity` (a key session: `key:0x…`), for logs and maps. */
  readonly idHex: string;
  /** The key that signed in: the session ends as soon as it is no longer the identity's current key. */
  readonly pubkey: Uint8Array;
  readonly role: Exclude<Role, 'public' | 'operator'>;
  /** Wall-clock ms. */
  readonly expiresAt: number;
  /** Why it ended (AUTH_SESSION_ENDED reasons), null while live. */
  ended: string | null;
  /** The chain head this session was last judged against (re-judged once per block). */
  checkedAt: unknown;
}

export type Caller =
  | { readonly kind: 'public' }
  | { readonly kind: 'operator' }
  | { readonly kind: 'identity'; readonly session: Session }
  /** A key-only session: reads only what a `signedBy` subject of its key allows (visibility.ts). */
  | { readonly kind: 'key'; readonly session: Session };

export const PUBLIC: Caller = { kind: 'public' };
export const OPERATOR: Caller = { kind: 'operator' };

export const roleOf = (c: Caller): Role => (c.kind === 'identity' ? c.session.role : c.kind);

/** The caller a session stands for. */
export const sessionCaller = (session: Session): Caller =>
  session.role === 'key' ? { kind: 'key', session } : { kind: 'identity', session };

/** For logs: the identity id, or the role. */
export const callerLabel = (c: Caller): string =>
  c.kind === 'identity' || c.kind === 'key' ? c.session.idHex : c.kind;
