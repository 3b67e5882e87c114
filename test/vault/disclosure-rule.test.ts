/**
 * judgeDisclosure, the vault's one rule for releasing data, on crafted receipts: only a final ok
 * receipt whose single `access` event grants exactly this record to this requester for this
 * purpose, in a block recent against the vault's clock, releases anything.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VaultErrorCode } from '../../src/client/vault/protocol.js';
import { concat, to0x } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import type { FinalReceipt } from '../../src/vault/chain.js';
import { judgeDisclosure } from '../../src/vault/disclosure.js';

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const q = { grantee: id(1), patient: id(2), record: id(3), purpose: 'TREAT' };
const NOW = 1_800_000_000_000;
const f = { now: NOW, maxChainLagMs: 15_000, maxSkewMs: 30_000 };

function rc(
  o: { attrs?: Record<string, string | number | boolean | null>; more?: Partial<FinalReceipt> } = {},
): FinalReceipt {
  return {
    txHash: to0x(id(9)),
    height: 5,
    time: NOW - 100,
    status: 'ok',
    code: '',
    events: [
      {
        type: 'access',
        attrs: {
          patient: to0x(q.patient),
          grantee: to0x(q.grantee),
          records: to0x(q.record),
          purpose: 'TREAT',
          granted: true,
          emergency: false,
          ...o.attrs,
        },
      },
    ],
    ...o.more,
  };
}

function refused(r: FinalReceipt, code: string, reason?: string): void {
  try {
    judgeDisclosure(r, q, f);
  } catch (err) {
    assert.ok(isCoded(err, code), String(err));
    if (reason !== undefined) assert.is((err as { meta: { reason?: string } }).meta.reason, reason);
    return;
  }
  assert.unreachable(`released; expected ${code}`);
}

test('a final ok receipt granting exactly this record releases it', () => {
  assert.equal(judgeDisclosure(rc(), q, f), { emergency: false, session: null, time: NOW - 100 });
});

test('a receipt whose access names another record too is AUDIT_FAILED OTHER_ACCESS', () => {
  refused(rc({ attrs: { records: to0x(concat(q.record, id(4))) } }), VaultErrorCode.AUDIT_FAILED, 'OTHER_ACCESS');
});

test('a receipt for another requester, patient or purpose is AUDIT_FAILED', () => {
  refused(rc({ attrs: { grantee: to0x(id(7)) } }), VaultErrorCode.AUDIT_FAILED, 'OTHER_ACCESS');
  refused(rc({ attrs: { patient: to0x(id(7)) } }), VaultErrorCode.AUDIT_FAILED, 'OTHER_ACCESS');
  refused(rc({ attrs: { purpose: 'HPAYMT' } }), VaultErrorCode.AUDIT_FAILED, 'OTHER_PURPOSE');
});

test('a denied or failed receipt is DENIED with the chain’s reason', () => {
  refused(rc({ more: { status: 'denied', code: 'EXPIRED' } }), VaultErrorCode.DENIED, 'EXPIRED');
  refused(rc({ more: { status: 'failed', code: 'KEY_MISMATCH' } }), VaultErrorCode.DENIED, 'KEY_MISMATCH');
  refused(rc({ attrs: { granted: false, code: 'NO_CONSENT' } }), VaultErrorCode.DENIED, 'NO_CONSENT');
});

test('no access event, or two, is AUDIT_FAILED', () => {
  refused(rc({ more: { events: [] } }), VaultErrorCode.AUDIT_FAILED, 'NO_ACCESS_EVENT');
  const two = rc();
  two.events.push(two.events[0] as FinalReceipt['events'][number]);
  refused(two, VaultErrorCode.AUDIT_FAILED, 'NO_ACCESS_EVENT');
});

test('a block older than maxChainLag, or ahead of the clock beyond maxSkew, is CHAIN_STALE', () => {
  refused(rc({ more: { time: NOW - 15_001 } }), VaultErrorCode.CHAIN_STALE);
  refused(rc({ more: { time: NOW + 30_001 } }), VaultErrorCode.CHAIN_STALE);
  assert.ok(judgeDisclosure(rc({ more: { time: NOW - 15_000 } }), q, f));
});

test('an emergency grant needs its session; the session is returned', () => {
  refused(rc({ attrs: { emergency: true } }), VaultErrorCode.AUDIT_FAILED, 'NO_SESSION');
  const d = judgeDisclosure(rc({ attrs: { emergency: true, session: to0x(id(8)) } }), q, f);
  assert.is(d.emergency, true);
  assert.is(to0x(d.session as Uint8Array), to0x(id(8)));
});

test.run();
