/**
 * auth_*: sign in with the current key of an on-chain identity, get a bearer session (HTTP
 * `Authorization: Bearer`, the WS upgrade, or in band on a WS connection), sign out.
 */
import { Type } from '@sinclair/typebox';
import { from0x, to0x } from '../../src/codec/bytes.js';
import { type Auth, AuthErrorCode } from '../auth/auth.js';
import { PUBLIC, roleOf, sessionCaller } from '../auth/caller.js';
import type { CallContext } from '../context.js';
import { defineMethod } from '../methods.js';
import { Bytes0x, Hash32, TimeMs } from '../schema.js';

const Role = Type.Union(
  ['public', 'operator', 'patient', 'practitioner', 'organization', 'key'].map((r) => Type.Literal(r)),
  { description: 'the caller scope' },
);

export function authMethods(auth: () => Auth) {
  return [
    defineMethod({
      name: 'auth_challenge',
      summary:
        'A single-use sign-in challenge for an identity: sign `message` (UTF-8) under the sign-in signing domain of this chain with the identity’s current key, then call auth_login',
      params: [{ name: 'identity', schema: Hash32('the identity signing in') }],
      result: Type.Object({
        nonce: Type.String({ pattern: '^[0-9a-f]{32}$' }),
        identity: Hash32(),
        chainId: Type.String(),
        issuedAt: TimeMs('wall clock of the node'),
        expiresAt: TimeMs('answer before this (wall clock of the node)'),
        message: Type.String({ description: 'EIP-4361-style text: the exact bytes to sign' }),
      }),
      handler: (p) => auth().challenge(from0x(p.identity)),
    }),
    defineMethod({
      name: 'auth_keyChallenge',
      summary:
        'A single-use sign-in challenge for a key that has no identity yet (e.g. a patient whose own registration failed): answered with auth_login, its session reads only the txs this key signed, while their signer has no identity or this is still its current, unsuspended key',
      params: [{ name: 'pubkey', schema: Bytes0x({ length: 32, description: 'the key signing in' }) }],
      result: Type.Object({
        nonce: Type.String({ pattern: '^[0-9a-f]{32}$' }),
        identity: Hash32('the key itself'),
        chainId: Type.String(),
        issuedAt: TimeMs('wall clock of the node'),
        expiresAt: TimeMs('answer before this (wall clock of the node)'),
        message: Type.String({ description: 'EIP-4361-style text: the exact bytes to sign' }),
      }),
      handler: (p) => auth().keyChallenge(from0x(p.pubkey)),
    }),
    defineMethod({
      name: 'auth_login',
      summary:
        'Answers a challenge; returns a bearer session token bound to the identity. Over WebSocket the connection itself is signed in.',
      params: [
        { name: 'nonce', schema: Type.String({ pattern: '^[0-9a-f]{32}$' }) },
        { name: 'pubkey', schema: Bytes0x({ length: 32, description: 'the identity’s current key' }) },
        { name: 'signature', schema: Bytes0x({ length: 64 }) },
      ],
      result: Type.Object({
        token: Bytes0x({ length: 32, description: 'Authorization: Bearer <token>' }),
        identity: Hash32(),
        role: Role,
        expiresAt: TimeMs('wall clock of the node; sign in again before'),
      }),
      errors: Object.values(AuthErrorCode).filter((c) => !c.startsWith('AUTH_SESSION')),
      handler: (p, ctx) => {
        const s = auth().login(p.nonce, from0x(p.pubkey), from0x(p.signature));
        if (ctx.transport === 'ws') (ctx as CallContext).scope.caller = sessionCaller(s);
        // A key session's `identity` is its key (it has none).
        return { token: s.token, identity: to0x(s.identity), role: s.role, expiresAt: s.expiresAt };
      },
    }),
    defineMethod({
      name: 'auth_logout',
      summary: 'Ends the caller’s session (the token stops working at once); false when not signed in',
      params: [],
      result: Type.Boolean(),
      handler: (_p, ctx) => {
        const c = ctx.caller;
        if (c.kind !== 'identity' && c.kind !== 'key') return false;
        const ended = auth().logout(c.session);
        if (ctx.transport === 'ws') (ctx as CallContext).scope.caller = PUBLIC;
        return ended;
      },
    }),
    defineMethod({
      name: 'auth_session',
      summary: 'Who this node takes the caller for: role, identity and session expiry',
      params: [],
      result: Type.Object({
        role: Role,
        identity: Type.Union([Hash32(), Type.Null()]),
        expiresAt: Type.Union([TimeMs(), Type.Null()]),
      }),
      handler: (_p, ctx) => {
        const c = ctx.caller;
        return {
          role: roleOf(c),
          identity: c.kind === 'identity' ? c.session.idHex : null,
          expiresAt: c.kind === 'identity' || c.kind === 'key' ? c.session.expiresAt : null,
        };
      },
    }),
  ];
}
