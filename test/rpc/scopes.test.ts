/**
 * Scopes per method and per caller, over HTTP and WebSocket: every allowed caller gets data, every
 * other caller gets the same OUT_OF_SCOPE error (whether or not the subject exists); events reach
 * only subscribers whose scope covers them; reads of personal data are logged without values.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SCOPES } from '../../rpc/api/scopes.js';
import { hex } from '../../src/client/client.js';
import * as b from '../../src/tx/builders.js';
import { identityKey } from '../../state/domain/keys.js';
import { loud } from '../helpers/hooks.js';
import { call, type RpcReply, WsClient } from './helpers.js';
import { OPERATOR_TOKEN, type ScopedNode, startScopedNode } from './scoped-node.js';
import { bearer, login } from './signin.js';

type Name = 'operator' | 'public' | 'patient' | 'delegate' | 'doctor' | 'doctorB' | 'orgA' | 'orgB' | 'other';
const ALL: Name[] = ['operator', 'public', 'patient', 'delegate', 'doctor', 'doctorB', 'orgA', 'orgB', 'other'];

interface Ctx {
  n: ScopedNode;
  tokens: Map<Name, string | null>;
  ws: Map<Name, WsClient>;
}
const test = suite<Ctx>('rpc scopes', {} as Ctx);

test.before(
  loud('rpc/scopes', async (ctx) => {
    const n = await startScopedNode();
    ctx.n = n;
    ctx.tokens = new Map<Name, string | null>([
      ['operator', OPERATOR_TOKEN],
      ['public', null],
    ]);
    for (const k of ['patient', 'delegate', 'doctor', 'doctorB', 'orgA', 'orgB', 'other'] as const)
      ctx.tokens.set(k, await login(n.url, n[k]));
    ctx.ws = new Map();
    for (const [k, t] of ctx.tokens)
      ctx.ws.set(k, await WsClient.connect(n.wsUrl, t === null ? {} : { authorization: `Bearer ${t}` }, t === null));
  }),
);
test.after(async (ctx) => {
  for (const w of ctx.ws.values()) await w.close();
  await ctx.n.close();
});

const OUT_OF_SCOPE = { code: -32014, message: 'Not in the caller scope', data: { code: 'OUT_OF_SCOPE' } };

async function both(ctx: Ctx, who: Name, method: string, params: unknown): Promise<[RpcReply, RpcReply]> {
  const t = ctx.tokens.get(who) ?? null;
  const http = await call(ctx.n.url, method, params, t === null ? { anonymous: true } : bearer(t));
  const ws = await (ctx.ws.get(who) as WsClient).call(method, params);
  return [http, ws];
}

/** Allowed callers get a result on both transports; the others get exactly OUT_OF_SCOPE. */
async function expectScope(ctx: Ctx, method: string, params: unknown, allowed: Name[]): Promise<void> {
  for (const who of ALL) {
    for (const [transport, r] of (await both(ctx, who, method, params)).entries()) {
      const where = `${method} as ${who} over ${transport === 0 ? 'HTTP' : 'WS'}`;
      if (allowed.includes(who)) assert.ok(r.result !== undefined, `${where}: ${JSON.stringify(r.error)}`);
      else assert.equal(r.error, OUT_OF_SCOPE, where);
    }
  }
}

/** An unknown subject: the operator learns it is not found, everyone else gets the same refusal as for a known one. */
async function expectUnknown(ctx: Ctx, method: string, params: unknown, notFound: string): Promise<void> {
  for (const who of ALL)
    for (const r of await both(ctx, who, method, params)) {
      if (who === 'operator') assert.is(r.error?.data?.code, notFound, `${method} as operator`);
      else assert.equal(r.error, OUT_OF_SCOPE, `${method} as ${who}`);
    }
}

const UNKNOWN = `0x${'ee'.repeat(32)}`;

test('every registered method has a scope (a new method is closed until someone decides)', async ({ n }) => {
  const doc = n.server.discover();
  for (const m of doc.methods) {
    assert.ok(m.name in SCOPES, `${m.name} has no scope entry`);
    assert.type(m['x-scope'], 'string');
  }
  // The test chain has no real commit certificates: the call passes the guard and fails on decoding.
  const r = await call(n.url, 'chain_getCommit', { block: 1 }, { anonymous: true });
  assert.is.not(r.error?.data?.code, 'OUT_OF_SCOPE');
  assert.is(doc.methods.find((m) => m.name === 'net_peers')?.['x-scope'], 'operator');
  for (const t of doc['x-topics']) assert.type(t['x-scope'], 'string', t.name);
});

test('public: status, headers, commits, validators, discovery, block tx hashes', async (ctx) => {
  for (const [m, p] of [
    ['chain_getStatus', undefined],
    ['chain_getHeader', { block: 1 }],
    ['chain_getValidators', undefined],
    ['governance_events', undefined],
    ['rpc.discover', undefined],
    ['chain_getBlock', { block: 2 }],
    ['identity_get', { id: hex(ctx.n.doctor.id) }],
    ['identity_get', { id: hex(ctx.n.orgA.id) }],
    ['state_getProof', { key: hex(identityKey(ctx.n.doctor.id)) }],
  ] as const)
    await expectScope(ctx, m, p, ALL);
});

test('operator only: block bodies, peers, unknown subjects', async (ctx) => {
  await expectScope(ctx, 'chain_getBlock', { block: 2, fullTxs: true }, ['operator']);
  await expectScope(ctx, 'net_peers', undefined, ['operator']);
  await expectScope(ctx, 'identity_get', { id: UNKNOWN }, ['operator']);
  await expectScope(ctx, 'record_get', { record: UNKNOWN }, ['operator']);
  await expectScope(ctx, 'audit_query', { record: UNKNOWN }, ['operator']);
});

test('patient scope: own identity, records, consents, audit trail, disclosures (self, live delegate)', async (ctx) => {
  const { n } = ctx;
  const patient = hex(n.patient.id);
  await expectScope(ctx, 'identity_get', { id: patient }, ['operator', 'patient', 'delegate', 'orgA']);
  await expectScope(ctx, 'record_listByPatient', { patient }, ['operator', 'patient', 'delegate']);
  await expectScope(ctx, 'consent_listByPatient', { patient }, ['operator', 'patient', 'delegate']);
  await expectScope(ctx, 'audit_query', { patient }, ['operator', 'patient', 'delegate']);
  await expectScope(ctx, 'audit_query', { record: hex(n.record) }, ['operator', 'patient', 'delegate']);
  await expectScope(ctx, 'audit_disclosures', { patient }, ['operator', 'patient', 'delegate']);
  await expectScope(ctx, 'state_getProof', { key: hex(identityKey(n.patient.id)) }, [
    'operator',
    'patient',
    'delegate',
  ]);
});

test("a subject sharing the first digits of one already allowed is judged on its own (the decision memo's collisions)", async (ctx) => {
  const patient = hex(ctx.n.patient.id);
  // Same 0x + 16 hex digits, different id: the session's memo keys by the leading digits.
  const twin = `${patient.slice(0, 18)}${patient.slice(18).replace(/./g, (c) => (c === 'f' ? '0' : 'f'))}`;
  const t = ctx.tokens.get('patient') as string;
  for (const order of [
    [patient, twin],
    [twin, patient],
  ])
    for (const id of order) {
      const r = await call(ctx.n.url, 'record_listByPatient', { patient: id }, bearer(t));
      if (id === patient) assert.ok(r.result !== undefined, JSON.stringify(r.error));
      else assert.equal(r.error, OUT_OF_SCOPE);
    }
});

test('audit_organization: the organization itself only; it lists the staff and patients it registered', async (ctx) => {
  const { n } = ctx;
  await expectScope(ctx, 'audit_organization', { org: hex(n.orgA.id) }, ['operator', 'orgA']);
  await expectScope(ctx, 'audit_organization', { org: hex(n.orgB.id) }, ['operator', 'orgB']);
  await expectScope(ctx, 'audit_organization', { org: UNKNOWN }, ['operator']);
  const r = await call(
    n.url,
    'audit_organization',
    { org: hex(n.orgA.id), kinds: ['identity.registered'] },
    bearer(ctx.tokens.get('orgA') as string),
  );
  const ids = (r.result as { entries: { attrs: { id: string } }[] }).entries.map((e) => e.attrs.id);
  assert.ok(ids.includes(hex(n.doctor.id)), 'its practitioner');
  assert.ok(ids.includes(hex(n.patient.id)), 'the patient it onboarded');
  assert.not.ok(ids.includes(hex(n.doctorB.id)), "another organization's practitioner");
  // Its practitioners' accesses (the disclosures report), in one query.
  const acc = await call(
    n.url,
    'audit_organization',
    { org: hex(n.orgA.id), kinds: ['access'] },
    bearer(ctx.tokens.get('orgA') as string),
  );
  const entries = (acc.result as { entries: { type: string; attrs: { grantee: string } }[] }).entries;
  assert.equal(
    entries.map((e) => [e.type, e.attrs.grantee]),
    [['access', hex(n.doctor.id)]],
  );
  const b = await call(
    n.url,
    'audit_organization',
    { org: hex(n.orgB.id), kinds: ['access'] },
    bearer(ctx.tokens.get('orgB') as string),
  );
  assert.equal((b.result as { entries: unknown[] }).entries, [], "not another organization's");
});

test("audit_query by patient lists her delegates (the console's delegates view reads it)", async (ctx) => {
  const { n } = ctx;
  const r = await call(
    n.url,
    'audit_query',
    { patient: hex(n.patient.id), kinds: ['delegate.set', 'delegate.revoked'] },
    bearer(ctx.tokens.get('patient') as string),
  );
  const entries = (r.result as { entries: { type: string; attrs: { delegate: string } }[] }).entries;
  assert.equal(
    entries.map((e) => [e.type, e.attrs.delegate]),
    [['delegate.set', hex(n.delegate.id)]],
  );
});

test('record metadata: the patient, the custodian, a grantee with a live consent', async (ctx) => {
  const { n } = ctx;
  await expectScope(ctx, 'record_get', { record: hex(n.record) }, [
    'operator',
    'patient',
    'delegate',
    'orgA',
    'doctor',
  ]);
  await expectScope(ctx, 'record_get', { record: hex(n.otherRecord) }, ['operator', 'other', 'orgB']);
});

test('record_listForGrantee: the grantee or its organization; only records a live consent covers, with its purposes', async (ctx) => {
  const { n } = ctx;
  const [doctor, patient] = [hex(n.doctor.id), hex(n.patient.id)];
  await expectScope(ctx, 'record_listForGrantee', { grantee: doctor, patient }, ['operator', 'doctor', 'orgA']);
  const as = (who: Name) => bearer(ctx.tokens.get(who) as string);
  type Listed = { records: { id: string; purposes: string[] }[] };
  const mine = (await call(n.url, 'record_listForGrantee', { grantee: doctor, patient }, as('doctor')))
    .result as Listed;
  assert.equal(
    mine.records.map((r) => [r.id, r.purposes]),
    [[hex(n.record), ['TREAT']]],
  );
  // No consent: nothing, not even whether the patient has records.
  const none = (await call(n.url, 'record_listForGrantee', { grantee: doctor, patient: hex(n.other.id) }, as('doctor')))
    .result as Listed;
  assert.equal(none.records, []);
  const b = (await call(n.url, 'record_listForGrantee', { grantee: hex(n.doctorB.id), patient }, as('doctorB')))
    .result as Listed;
  assert.equal(b.records, []);
});

test('practitioner scope: own consents, access history, credentials, access_check for itself; its organization too', async (ctx) => {
  const { n } = ctx;
  const doctor = hex(n.doctor.id);
  await expectScope(ctx, 'consent_listByGrantee', { grantee: doctor }, ['operator', 'doctor', 'orgA']);
  await expectScope(ctx, 'audit_query', { grantee: doctor }, ['operator', 'doctor', 'orgA']);
  await expectScope(ctx, 'credential_list', { practitioner: doctor }, ['operator', 'doctor', 'orgA']);
  await expectScope(ctx, 'credential_verify', { practitioner: doctor, type: 'license' }, [
    'operator',
    'doctor',
    'orgA',
  ]);
  await expectScope(ctx, 'access_check', { grantee: doctor, record: hex(n.record), action: 'read', purpose: 'TREAT' }, [
    'operator',
    'doctor',
    'orgA',
    'patient',
    'delegate',
  ]);
  await expectScope(ctx, 'consent_get', { consent: hex(n.consent) }, [
    'operator',
    'patient',
    'delegate',
    'doctor',
    'orgA',
  ]);
  await expectUnknown(ctx, 'consent_get', { consent: UNKNOWN }, 'CONSENT_NOT_FOUND');
});

test('transactions: the signer (and its organization) and whom the receipt names', async (ctx) => {
  const hash = hex(ctx.n.accessTx);
  const allowed: Name[] = ['operator', 'doctor', 'orgA', 'patient', 'delegate'];
  await expectScope(ctx, 'tx_get', { hash }, allowed);
  await expectScope(ctx, 'tx_getReceipt', { hash }, allowed);
  await expectScope(ctx, 'tx_waitFinal', { hash, timeoutMs: 1000 }, allowed);
  // What a patient signs is the patient's: the organization that onboarded it does not read it.
  await expectScope(ctx, 'tx_getReceipt', { hash: hex(ctx.n.delegateTx) }, ['operator', 'patient', 'delegate']);
  await expectUnknown(ctx, 'tx_getReceipt', { hash: UNKNOWN }, 'TX_NOT_FOUND');
  await expectUnknown(ctx, 'tx_get', { hash: UNKNOWN }, 'TX_NOT_FOUND');
});

test('events: only in-scope events reach a subscriber; the public cannot subscribe', async (ctx) => {
  const { n } = ctx;
  const pub = ctx.ws.get('public') as WsClient;
  assert.equal((await pub.call('subscribe', ['events'])).error, OUT_OF_SCOPE);
  assert.ok((await pub.call('subscribe', ['newHeads'])).result, 'headers are public');
  const subs = new Map<Name, string>();
  for (const who of ['patient', 'doctorB', 'orgB', 'operator'] as const) {
    const r = await (ctx.ws.get(who) as WsClient).call('subscribe', ['events', { kinds: ['access'] }]);
    subs.set(who, r.result as string);
  }
  // Block 1: the doctor reads the patient's record. Block 2: doctor B is denied on the other patient.
  await n.commit([b.access(n.env(n.doctor), { patient: n.patient.id, records: [n.record], purpose: 1 })]);
  await n.commit([b.access(n.env(n.doctorB), { patient: n.other.id, records: [n.otherRecord], purpose: 1 })], true);
  const first = async (who: Name) =>
    (await (ctx.ws.get(who) as WsClient).notification(subs.get(who), 10_000)).result as {
      attrs: { patient: string; grantee: string };
    };
  assert.is((await first('patient')).attrs.grantee, hex(n.doctor.id));
  // Doctor B's first event is its own (block 2): the patient's access (block 1) never reached it.
  assert.is((await first('doctorB')).attrs.grantee, hex(n.doctorB.id));
  // Hospital B employs doctor B: its staff's access reaches it, not hospital A's.
  assert.is((await first('orgB')).attrs.grantee, hex(n.doctorB.id));
  assert.is((await first('operator')).attrs.grantee, hex(n.doctor.id));
  assert.is((await first('operator')).attrs.grantee, hex(n.doctorB.id));
});

test('reads of personal data are logged: caller, role, method, subject ids, never values', async (ctx) => {
  const { n } = ctx;
  n.reads.length = 0;
  await call(n.url, 'audit_disclosures', { patient: hex(n.patient.id) }, bearer(ctx.tokens.get('delegate') as string));
  const e = n.reads.find((r) => r.obj.read === 'audit_disclosures');
  assert.ok(e, 'logged');
  assert.equal(e?.obj.caller, hex(n.delegate.id));
  assert.equal(e?.obj.role, 'patient');
  assert.equal(e?.obj.subject, { patient: hex(n.patient.id) });
  assert.type(e?.obj.at, 'number');
  // Refused and public calls are not reads of personal data.
  n.reads.length = 0;
  await call(n.url, 'audit_disclosures', { patient: hex(n.patient.id) }, { anonymous: true });
  await call(n.url, 'chain_getStatus', undefined, { anonymous: true });
  assert.is(n.reads.length, 0);
});

test('TOO_MANY_PENDING: a WS connection cannot park more than maxPendingPerConnection calls', async ({ n }) => {
  const ws = await WsClient.connect(n.wsUrl, { authorization: `Bearer ${OPERATOR_TOKEN}` });
  const waits = [1, 2, 3, 4].map((i) =>
    ws.call('tx_waitFinal', { hash: `0x${i.toString(16).padStart(64, '0')}`, timeoutMs: 60_000 }),
  );
  // The server counts a call as pending once it has read it: poll until all four are parked.
  const fifth = await ws.call('tx_waitFinal', { hash: UNKNOWN, timeoutMs: 60_000 });
  assert.is(fifth.error?.data?.code, 'TOO_MANY_PENDING');
  await ws.close();
  await Promise.allSettled(waits);
});

test.run();
