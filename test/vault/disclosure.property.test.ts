/**
 * The disclosure invariant as a property, over random interleavings of grant, revoke, time passing
 * (block time advancing), erase, break-glass, stall and node lag, with honest and hostile opens
 * (expired txs, txs naming other records, strangers): the real VaultService over a FakeChain that
 * produces final blocks. Model: whatever is served has a final ok ACCESS receipt for exactly that
 * record and requester, in a block no older than maxChainLag when served and no later than the
 * tx's expiry, and at that block's time a consent (or the owner, or a break-glass session)
 * covered it and the record was not erased.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateAccount } from '../../src/client/tx.js';
import { to0x, utf8 } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import { defaultVaultOptions } from '../../src/vault/options.js';
import { propertyRuns } from '../helpers/runs.js';
import { VaultFixture } from './fake-chain.js';

const docs = [generateAccount(), generateAccount(), generateAccount()];
const RECORDS = 3;
const LAG = defaultVaultOptions.maxChainLagMs;

type Op =
  | { t: 'grant'; doc: number; rec: number; purpose: 'TREAT' | 'ETREAT'; ms: number }
  | { t: 'revoke'; i: number }
  | { t: 'advance'; ms: number }
  | { t: 'erase'; rec: number }
  | { t: 'breakGlass'; doc: number; ms: number }
  | { t: 'stall'; on: boolean }
  | { t: 'lag'; ms: number }
  | {
      t: 'open';
      who: number;
      rec: number;
      purpose: 'TREAT' | 'ETREAT';
      variant: 'honest' | 'expired' | 'twoRecords' | 'stranger';
    };

const purpose = fc.constantFrom<'TREAT' | 'ETREAT'>('TREAT', 'ETREAT');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('grant' as const),
    doc: fc.nat(2),
    rec: fc.nat(RECORDS - 1),
    purpose,
    ms: fc.integer({ min: 1, max: 120_000 }),
  }),
  fc.record({ t: fc.constant('revoke' as const), i: fc.nat(20) }),
  fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 60_000 }) }),
  fc.record({ t: fc.constant('erase' as const), rec: fc.nat(RECORDS - 1) }),
  fc.record({ t: fc.constant('breakGlass' as const), doc: fc.nat(2), ms: fc.integer({ min: 1, max: 60_000 }) }),
  fc.record({ t: fc.constant('stall' as const), on: fc.boolean() }),
  fc.record({ t: fc.constant('lag' as const), ms: fc.constantFrom(0, 0, 5_000, LAG + 5_000) }),
  fc.record({
    t: fc.constant('open' as const),
    who: fc.nat(3),
    rec: fc.nat(RECORDS - 1),
    purpose,
    variant: fc.constantFrom<'honest' | 'expired' | 'twoRecords' | 'stranger'>(
      'honest',
      'honest',
      'honest',
      'expired',
      'twoRecords',
      'stranger',
    ),
  }),
);

test('nothing is served without a final ok ACCESS receipt for exactly that record, valid at its block time', async () => {
  let served = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
      const f = await VaultFixture.create();
      try {
        for (const d of docs) f.chain.register(d);
        const recs: Uint8Array[] = [];
        for (let i = 0; i < RECORDS; i++) recs.push((await f.storeRecord(utf8(`record ${i}`))).record);
        for (const o of ops) {
          const now = f.clock.now;
          switch (o.t) {
            case 'grant':
              f.grant(docs[o.doc] as (typeof docs)[number], recs[o.rec] as Uint8Array, o.purpose, o.ms);
              break;
            case 'revoke': {
              const c = f.chain.consents[o.i];
              if (c !== undefined && c.revokedAt === undefined) c.revokedAt = now;
              break;
            }
            case 'advance':
              f.clock.now += o.ms;
              f.chain.produce();
              break;
            case 'erase': {
              const rid = recs[o.rec] as Uint8Array;
              const p = f.chain.pointers.get(to0x(rid));
              if (p !== undefined && p.erasedAt === undefined) {
                p.erasedAt = now;
                p.erased = true;
                await f.service.shred(rid, '0x00', f.chain.height);
              }
              break;
            }
            case 'breakGlass': {
              const d = docs[o.doc] as (typeof docs)[number];
              f.chain.sessions.set(`${to0x(d.id)}/${to0x(f.patient.id)}`, {
                id: crypto.getRandomValues(new Uint8Array(32)),
                openedAt: now,
                until: now + o.ms,
              });
              break;
            }
            case 'stall':
              f.chain.stalled = o.on;
              break;
            case 'lag':
              f.chain.lagMs = o.ms;
              break;
            case 'open': {
              const who =
                o.variant === 'stranger'
                  ? generateAccount()
                  : o.who === 3
                    ? f.patient
                    : (docs[o.who] as (typeof docs)[number]);
              const rid = recs[o.rec] as Uint8Array;
              const named = o.variant === 'twoRecords' ? [rid, recs[(o.rec + 1) % RECORDS] as Uint8Array] : [rid];
              const q = f.openRequest(who, named, o.purpose, o.variant === 'expired' ? { lifetimeMs: -1_000 } : {});
              let s: Awaited<ReturnType<typeof f.service.open>> | undefined;
              try {
                s = await f.service.open(q.header, rid, q.body);
              } catch (err) {
                assert.ok(isCoded(err), String(err));
                break;
              }
              served++;
              const rc = f.chain.receipts.get(s.accessTx);
              assert.ok(rc, 'served without a final receipt');
              assert.is(rc.status, 'ok');
              const a = rc.events.find((e) => e.type === 'access')?.attrs;
              assert.is(a?.records, to0x(rid), 'the receipt names exactly the served record');
              assert.is(a?.grantee, to0x(who.id));
              assert.ok(f.clock.now - rc.time <= LAG, 'served on a stale block');
              assert.ok(rc.time <= q.tx.expiresAt, 'included after expiry');
              assert.ok(f.chain.covers(to0x(who.id), to0x(rid), o.purpose, rc.time).ok, 'not covered at block time');
              break;
            }
          }
        }
      } finally {
        await f.close();
      }
    }),
    // 200 runs cost ~9 CPU-s; PROPERTY_RUNS=full runs them all.
    { numRuns: propertyRuns(200, 60) },
  );
  // The property is not vacuous: honest opens under live consents were served.
  assert.ok(served > 0, 'nothing was ever served');
});

test.run();
