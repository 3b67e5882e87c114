/**
 * The sign-in stores under any sequence of operations (fast-check): bounded in memory, a nonce
 * is taken at most once, an identity never holds more than its share of sessions, and a full store
 * refuses newcomers instead of evicting someone else's live session.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Session } from '../../rpc/auth/caller.js';
import { ChallengeStore } from '../../rpc/auth/challenges.js';
import { SessionStore } from '../../rpc/auth/sessions.js';

test('challenges: bounded, single use, expired ones purged', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('add', 'take', 'tick'), fc.integer({ min: 0, max: 30 })), { maxLength: 200 }),
      (ops) => {
        const max = 8;
        const store = new ChallengeStore(max);
        const taken = new Set<string>();
        let now = 0;
        let next = 0;
        for (const [op, k] of ops) {
          if (op === 'tick') now += k;
          else if (op === 'add')
            store.add(
              {
                nonce: `n${next++}`,
                identity: new Uint8Array(32),
                key: false,
                message: '',
                issuedAt: now,
                expiresAt: now + 10,
              },
              now,
            );
          else {
            const nonce = `n${k}`;
            const c = store.take(nonce);
            if (c !== undefined) {
              assert.not.ok(taken.has(nonce), 'taken twice');
              taken.add(nonce);
            }
          }
          assert.ok(store.size <= max);
        }
      },
    ),
  );
});

const session = (id: number, token: string, expiresAt: number): Session => ({
  token,
  identity: new Uint8Array(32).fill(id),
  idHex: `id${id}`,
  pubkey: new Uint8Array(32),
  role: 'patient',
  expiresAt,
  ended: null,
  checkedAt: null,
});

test('sessions: bounded in total and per identity; a full store refuses, never evicts others', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 20 })), { maxLength: 200 }),
      (ops) => {
        const store = new SessionStore(10, 3);
        let now = 0;
        let n = 0;
        const live = new Map<string, Session>();
        for (const [id, dt] of ops) {
          now += dt;
          const s = session(id, `t${n++}`, now + 50);
          const before = [...live.values()].filter(
            (x) => x.idHex !== s.idHex && x.expiresAt > now && store.get(x.token),
          );
          const ok = store.add(s, now);
          if (ok) live.set(s.token, s);
          // Nobody else's live session was pushed out by this sign-in.
          for (const x of before) assert.ok(store.get(x.token), 'evicted another identity');
          assert.ok(store.size <= 10);
          const mine = [...live.values()].filter((x) => x.idHex === s.idHex && store.get(x.token) !== undefined);
          assert.ok(mine.length <= 3);
          // A session pushed out is marked ended (a WS connection holding it must stop using it).
          for (const x of live.values()) if (store.get(x.token) === undefined && x.expiresAt > now) assert.ok(x.ended);
        }
      },
    ),
  );
});

test.run();
