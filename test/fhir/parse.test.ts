/**
 * The facade's pure parts: search parameters parsed strictly (dates, references, tokens, _count,
 * page tokens, sizes), the Accept check, and every audited chain event type mapped to an
 * AuditEvent that validates against the official FHIR R4 schema.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventValue } from '../../src/chain/receipt.js';
import { isLiteralOrLoopbackHost, operatorTokenAuthorizer } from '../../src/fhir/authorize.js';
import { acceptsFhirJson } from '../../src/fhir/http.js';
import { AUDITED_EVENTS, FhirError, parseSearch, toAuditEvent } from '../../src/fhir/index.js';
import { addDate, dateRange, decodePage, encodePage, parseRef } from '../../src/fhir/search.js';
import { fhirSchemaErrors } from './schema.js';

const LIMITS = { maxQueryBytes: 2048, defaultCount: 50, maxCount: 200 };
const ID = `0x${'ab'.repeat(32)}`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, FhirError);
    return (err as FhirError).code;
  }
  throw new Error('no error');
}

test('dates cover the range of their precision, in UTC or with an offset', () => {
  assert.equal(dateRange('date', '2026'), { start: Date.UTC(2026, 0, 1), end: Date.UTC(2027, 0, 1) });
  assert.equal(dateRange('date', '2026-02'), { start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
  assert.equal(dateRange('date', '2026-12-31'), { start: Date.UTC(2026, 11, 31), end: Date.UTC(2027, 0, 1) });
  const t = Date.UTC(2026, 10, 21, 12, 4, 32, 313);
  assert.equal(dateRange('date', '2026-11-21T12:04:32.313Z'), { start: t, end: t + 1 });
  assert.equal(dateRange('date', '2026-11-21T13:04:32.313+01:00'), { start: t, end: t + 1 });
  assert.equal(dateRange('date', '2026-11-21T12:04Z').end - dateRange('date', '2026-11-21T12:04Z').start, 60_000);
  for (const bad of ['2026-13', '2026-11-21T25:00Z', 'yesterday', '2026-11-21T12:04', '1e3', ''])
    assert.is(
      code(() => dateRange('date', bad)),
      'FHIR_BAD_PARAMETER',
      bad,
    );
});

test('date prefixes fold into one half-open range', () => {
  const d = Date.UTC(2026, 0, 1);
  assert.equal(addDate('date', 'ge2026-01-01', {}), { from: d });
  assert.equal(addDate('date', 'gt2026-01-01', {}), { from: d + 86_400_000 });
  assert.equal(addDate('date', 'lt2026-01-01', {}), { to: d });
  assert.equal(addDate('date', 'le2026-01-01', {}), { to: d + 86_400_000 });
  assert.equal(addDate('date', '2026-01-01', {}), { from: d, to: d + 86_400_000 });
  assert.equal(addDate('date', 'lt2026-01-01', { from: d + 1 }), { from: d + 1, to: d + 1 }, 'empty, never inverted');
});

test('references: type/id, bare id, identifier form; wrong types and bad ids refused', () => {
  const want = new Uint8Array(32).fill(0xab);
  for (const v of [`Patient/${ID}`, ID, ID.slice(2), `urn:medchain:identity|${ID}`])
    assert.equal(parseRef('patient', v, ['Patient']), want, v);
  for (const v of [`Practitioner/${ID}`, `Patient/${ID.slice(0, 40)}`, `Patient/${ID}x`, 'http://evil/Patient/1'])
    assert.is(
      code(() => parseRef('patient', v, ['Patient'])),
      'FHIR_BAD_PARAMETER',
      v,
    );
});

test('parseSearch refuses unknown, modified, repeated, oversized and subject-less queries', () => {
  const cases: [string, string][] = [
    [`patient=${ID}&x=1`, 'FHIR_UNKNOWN_PARAMETER'],
    [`patient:exact=${ID}`, 'FHIR_UNKNOWN_PARAMETER'],
    [`patient=${ID}&_include=AuditEvent:agent`, 'FHIR_UNKNOWN_PARAMETER'],
    [`patient=${ID}&patient=${ID}`, 'FHIR_REPEATED_PARAMETER'],
    [`patient=${ID}&date=ge2026&date=lt2027&date=eq2026`, 'FHIR_REPEATED_PARAMETER'],
    [`patient=${ID}&_count=1000000`, 'FHIR_BAD_COUNT'],
    [`patient=${ID}&outcome=0,4,0,4,0,4,0,4,0`, 'FHIR_BAD_PARAMETER'],
    [`patient=${ID}&purpose=${encodeURIComponent('http://other|TREAT')}`, 'FHIR_BAD_PARAMETER'],
    [`patient=${ID}&_page=${'0'.repeat(44)}.x`, 'FHIR_BAD_PAGE'],
    [`patient=${'a'.repeat(300)}`, 'FHIR_BAD_PARAMETER'],
    [`patient=${ID}&purpose=${'A'.repeat(2100)}`, 'FHIR_QUERY_TOO_LONG'],
    ['date=ge2026', 'FHIR_MISSING_SUBJECT'],
    ['', 'FHIR_MISSING_SUBJECT'],
  ];
  for (const [q, c] of cases)
    assert.is(
      code(() => parseSearch('AuditEvent', q, LIMITS)),
      c,
      q,
    );
  assert.is(
    code(() => parseSearch('Consent', `patient=${ID}&outcome=0`, LIMITS)),
    'FHIR_UNKNOWN_PARAMETER',
  );
  assert.is(
    code(() => parseSearch('Provenance', `patient=${ID}&date=2026`, LIMITS)),
    'FHIR_UNKNOWN_PARAMETER',
  );
});

test('parseSearch accepts each documented parameter', () => {
  const s = parseSearch(
    'AuditEvent',
    `patient=Patient/${ID}&agent=Practitioner/${ID}&entity=Observation/${ID}&date=ge2026-01-01&date=lt2026-02-01&outcome=4&purpose=TREAT,ETREAT&_count=10`,
    LIMITS,
  );
  assert.is(s.count, 10);
  assert.equal([...(s.purpose ?? [])], ['TREAT', 'ETREAT']);
  assert.equal(s.date, { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) });
  const c = parseSearch('Consent', `actor=${ID}&status=active,rejected&period=ge2026-01-01`, LIMITS);
  assert.equal([...(c.status ?? [])], ['active', 'rejected']);
  assert.is(parseSearch('Provenance', `target=${ID}`, LIMITS).count, 50);
});

test('page tokens round-trip and nothing else is one', () => {
  const cursor = new Uint8Array(22).map((_, i) => i);
  assert.equal(decodePage(encodePage({ cursor, offset: 1234 })), { cursor, offset: 1234 });
  for (const bad of ['', '00.1', `${'0'.repeat(44)}.`, `${'0'.repeat(44)}.1234567890`, `${'G'.repeat(44)}.1`])
    assert.is(
      code(() => decodePage(bad)),
      'FHIR_BAD_PAGE',
      bad,
    );
});

test('Accept: JSON kinds and wildcards pass, XML alone does not', () => {
  for (const a of [undefined, '', '*/*', 'application/fhir+json', 'application/json;q=0.9', 'text/html, application/*'])
    assert.ok(acceptsFhirJson(a), String(a));
  for (const a of ['application/fhir+xml', 'text/html', 'application/xml, text/plain'])
    assert.not.ok(acceptsFhirJson(a), a);
});

test('the operator-token hook: hosts, origins, tokens', () => {
  for (const h of ['127.0.0.1:8545', 'localhost', '[::1]:8545', '10.0.0.5', '[fe80::1]'])
    assert.ok(isLiteralOrLoopbackHost(h), h);
  for (const h of [undefined, 'evil.example', 'evil.example:8545', '127.0.0.1.evil.example', 'localhost.evil'])
    assert.not.ok(isLiteralOrLoopbackHost(h), String(h));
  const open = operatorTokenAuthorizer(null);
  const at = (headers: Record<string, string>, interaction: 'search' | 'capabilities' = 'search') =>
    ({ headers, remote: '127.0.0.1', interaction, resourceType: 'Consent' }) as const;
  assert.is(open(at({ host: '127.0.0.1:1' })), null);
  assert.is(open(at({ host: 'rebound.example' })), 'FHIR_FORBIDDEN');
  assert.is(open(at({ host: '127.0.0.1:1', origin: 'https://evil.example' })), 'FHIR_FORBIDDEN');
  assert.is(
    operatorTokenAuthorizer(null, ['https://console.example'])(
      at({ host: '127.0.0.1', origin: 'https://console.example' }),
    ),
    null,
  );
  const op = operatorTokenAuthorizer('s3cret');
  assert.is(op(at({ host: 'node.example' })), 'FHIR_UNAUTHORIZED');
  assert.is(op(at({ host: 'node.example', authorization: 'Bearer s3cret' })), null);
  assert.is(op(at({ host: 'node.example', authorization: 'bearer s3cret ' })), null);
  assert.is(op(at({ host: 'node.example', authorization: 'Basic s3cret' })), 'FHIR_UNAUTHORIZED');
  assert.is(op(at({ host: 'node.example' }, 'capabilities')), null);
});

test('every audited chain event type maps to an AuditEvent valid against the official R4 schema', () => {
  const id = (n: number) => new Uint8Array(32).fill(n);
  const attrs: Record<string, Record<string, EventValue>> = {
    access: {
      patient: id(1),
      grantee: id(2),
      records: id(3),
      purpose: 'TREAT',
      granted: false,
      emergency: false,
      code: 'NO_CONSENT',
    },
    'emergency.opened': {
      session: id(4),
      patient: id(1),
      grantee: id(2),
      org: id(5),
      reason: 'ETREAT',
      until: 1,
      reviewDeadline: 2,
    },
    'emergency.denied': { patient: id(1), grantee: id(2), org: id(5), reason: 'BTG', code: 'NOT_CREDENTIALED' },
    'emergency.reviewed': { session: id(4), patient: id(1), grantee: id(2), org: id(5), justified: true, late: false },
    'emergency.overdue': { session: id(4), patient: id(1), grantee: id(2), org: id(5) },
    'consent.granted': {
      consent: id(6),
      patient: id(1),
      grantee: id(2),
      by: id(1),
      records: id(3),
      types: 0,
      actions: 1,
      purposes: 2,
      notBefore: 0,
      expiresAt: 9,
    },
    'consent.revoked': { consent: id(6), patient: id(1), grantee: id(2), by: id(1) },
    'record.added': {
      record: id(3),
      patient: id(1),
      resourceType: 'Observation',
      custodian: id(5),
      author: id(1),
      purpose: 'TREAT',
    },
    'record.erased': { record: id(3), patient: id(1), custodian: id(5), by: id(1) },
    'record.erase_blocked': { record: id(3), patient: id(1), custodian: id(5), by: id(1), code: 'LEGAL_HOLD' },
    'record.deletion_attested': { record: id(3), patient: id(1), custodian: id(5), receiptHash: id(7) },
    'record.hold': { record: id(3), patient: id(1), custodian: id(5), hold: true },
    'grantee.suspended': { grantee: id(2), denials: 5, windowMs: 3_600_000 },
    'grantee.reinstated': { grantee: id(2), by: id(5) },
  };
  for (const type of AUDITED_EVENTS) {
    const a = attrs[type];
    assert.ok(a, `fixture for ${type}`);
    const ev = toAuditEvent(
      {
        time: 1_764_000_000_000,
        height: 7,
        receipt: 2,
        seq: 1,
        type,
        txHash: id(9),
        attrs: a as Record<string, EventValue>,
      },
      { chainId: 'test', node: 'n0' },
    );
    assert.equal(fhirSchemaErrors(ev), [], type);
    assert.is(ev.id, '7-2-1');
    assert.is(ev.recorded, new Date(1_764_000_000_000).toISOString());
    const denied = type === 'access' || type === 'emergency.denied' || type === 'record.erase_blocked';
    assert.is(ev.outcome, denied ? '4' : '0', type);
    assert.not.ok(JSON.stringify(ev).includes('undefined'));
  }
});

test.run();
