/**
 * The FHIR facade with the same sign-in and scopes as JSON-RPC, on the in-process scoped node
 * (test/rpc/scoped-node.ts) with the facade mounted as the node mounts it: the operator token sees
 * everything; a session from auth_login sees what the rpc guard lets it read (a patient and her live
 * delegate their own AuditEvents, Consents and Provenance; the grantee its consents and its own
 * access history; the organization its staff and its custody); the public gets 401; everyone else
 * one 403 that is the same whether or not the subject exists.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hex } from '../../src/client/client.js';
import { FhirHandler, scopedAuthorizer } from '../../src/fhir/index.js';
import { loud } from '../helpers/hooks.js';
import { call } from '../rpc/helpers.js';
import { OPERATOR_TOKEN, type ScopedNode, startScopedNode } from '../rpc/scoped-node.js';
import { bearer, login } from '../rpc/signin.js';
import { fhirSchemaErrors, resourcesIn } from './schema.js';

type Name = 'operator' | 'public' | 'patient' | 'delegate' | 'doctor' | 'doctorB' | 'orgA' | 'orgB' | 'other';
const SIGNED_IN = ['patient', 'delegate', 'doctor', 'doctorB', 'orgA', 'orgB', 'other'] as const;
const ALL: Name[] = ['operator', 'public', ...SIGNED_IN];

interface Ctx {
  n: ScopedNode;
  fhir: string;
  tokens: Map<Name, string | null>;
}
const test = suite<Ctx>('fhir scopes', {} as Ctx);

test.before(
  loud('fhir/scopes', async (ctx) => {
    const n = await startScopedNode();
    ctx.n = n;
    ctx.fhir = `${n.url}/fhir`;
    n.server.mount(
      new FhirHandler(
        {},
        {
          api: n.api,
          source: { chainId: 'scope-test', node: 'node-0' },
          baseUrl: () => ctx.fhir,
          authorize: scopedAuthorizer({
            api: n.api,
            auth: n.auth,
            token: OPERATOR_TOKEN,
            allowedOrigins: n.server.opts.allowedOrigins,
            logger: n.server.logger,
          }),
        },
      ),
    );
    ctx.tokens = new Map<Name, string | null>([
      ['operator', OPERATOR_TOKEN],
      ['public', null],
    ]);
    for (const k of SIGNED_IN) ctx.tokens.set(k, await login(n.url, n[k]));
  }),
);
test.after(async (ctx) => {
  await ctx.n.close();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
  wwwAuthenticate: string | null;
}

async function get(ctx: Ctx, who: Name | { token: string }, path: string): Promise<Reply> {
  const t = typeof who === 'string' ? ctx.tokens.get(who) : who.token;
  const res = await fetch(`${ctx.fhir}${path}`, t ? { headers: { authorization: `Bearer ${t}` } } : {});
  const body = (await res.json()) as Record<string, unknown>;
  for (const r of resourcesIn(body)) assert.equal(fhirSchemaErrors(r), [], path);
  return { status: res.status, body, wwwAuthenticate: res.headers.get('www-authenticate') };
}

const entries = (r: Reply) => (r.body.entry as { resource: { id: string } }[] | undefined) ?? [];
const codeOf = (r: Reply) =>
  (r.body.issue as { details: { coding: { code: string }[] } }[])[0]?.details.coding[0]?.code;

/** Allowed callers get 200; the public 401, every other caller 403 (OperationOutcomes). */
async function expectScope(ctx: Ctx, path: string, allowed: Name[]): Promise<void> {
  for (const who of ALL) {
    const r = await get(ctx, who, path);
    const where = `${path} as ${who}`;
    if (who === 'operator' || allowed.includes(who)) assert.is(r.status, 200, `${where}: ${JSON.stringify(r.body)}`);
    else if (who === 'public') {
      assert.is(r.status, 401, where);
      assert.is(codeOf(r), 'FHIR_UNAUTHORIZED', where);
      assert.is(r.wwwAuthenticate, 'Bearer', where);
    } else {
      assert.is(r.status, 403, where);
      assert.is(r.body.resourceType, 'OperationOutcome', where);
      assert.is(codeOf(r), 'FHIR_FORBIDDEN', where);
    }
  }
}

const rand = () => hex(crypto.getRandomValues(new Uint8Array(32)));

test('the operator token sees everything; unknown ids are 404 for it', async (ctx) => {
  const { n } = ctx;
  for (const p of [n.patient, n.other]) {
    const r = await get(ctx, 'operator', `/AuditEvent?patient=${hex(p.id)}`);
    assert.is(r.status, 200);
    assert.ok(entries(r).length > 0);
  }
  const consents = await get(ctx, 'operator', `/Consent?patient=${hex(n.patient.id)}`);
  assert.is(entries(consents).length, 1);
  assert.is((await get(ctx, 'operator', `/Consent/${hex(n.consent).slice(2)}`)).status, 200);
  assert.is((await get(ctx, 'operator', `/Provenance/${hex(n.otherRecord).slice(2)}`)).status, 200);
  assert.is((await get(ctx, 'operator', `/Consent/${rand().slice(2)}`)).status, 404);
});

test('the public: metadata only; everything else is 401 whether or not it exists', async (ctx) => {
  const { n } = ctx;
  assert.is((await get(ctx, 'public', '/metadata')).status, 200);
  const known = await get(ctx, 'public', `/AuditEvent?patient=${hex(n.patient.id)}`);
  const unknown = await get(ctx, 'public', `/AuditEvent?patient=${rand()}`);
  assert.is(known.status, 401);
  assert.equal(unknown, known);
  assert.equal(await get(ctx, 'public', `/Consent/${hex(n.consent).slice(2)}`), known);
  // A token that is neither the operator's nor a live session is refused alike.
  assert.equal(await get(ctx, { token: rand() }, `/AuditEvent?patient=${hex(n.patient.id)}`), known);
});

test('a signed-in patient sees her own AuditEvents, Consents and Provenance, not another patient’s', async (ctx) => {
  const { n } = ctx;
  const mine = await get(ctx, 'patient', `/AuditEvent?patient=Patient/${hex(n.patient.id)}`);
  assert.is(mine.status, 200);
  const ids = entries(mine).map((e) => e.resource.id);
  // record.added, consent.granted, access.
  assert.ok(ids.length >= 3, `${ids.length} events`);
  // Each of her events can be read by id; the other patient's cannot.
  for (const id of ids) assert.is((await get(ctx, 'patient', `/AuditEvent/${id}`)).status, 200);
  const theirs = entries(await get(ctx, 'operator', `/AuditEvent?patient=${hex(n.other.id)}`)).map(
    (e) => e.resource.id,
  );
  assert.ok(theirs.length > 0);
  for (const id of theirs) assert.is((await get(ctx, 'patient', `/AuditEvent/${id}`)).status, 403);
  const refused = await get(ctx, 'patient', `/AuditEvent?patient=${hex(n.other.id)}`);
  assert.is(refused.status, 403);
  assert.is(refused.body.resourceType, 'OperationOutcome');
  assert.is(codeOf(refused), 'FHIR_FORBIDDEN');
  assert.is(entries(await get(ctx, 'patient', `/Consent?patient=${hex(n.patient.id)}`)).length, 1);
  assert.is((await get(ctx, 'patient', `/Provenance/${hex(n.record).slice(2)}`)).status, 200);
  assert.is((await get(ctx, 'patient', `/Provenance/${hex(n.otherRecord).slice(2)}`)).status, 403);
});

test('the refusal for an unknown subject equals the refusal for a known one', async (ctx) => {
  const { n } = ctx;
  const known = await get(ctx, 'patient', `/AuditEvent?patient=${hex(n.other.id)}`);
  assert.is(known.status, 403);
  for (const path of [
    `/AuditEvent?patient=${rand()}`,
    `/AuditEvent?agent=${rand()}`,
    `/AuditEvent?entity=${rand()}`,
    `/AuditEvent?entity=${hex(n.otherRecord)}`,
    `/AuditEvent/999999-0-0`,
    `/Consent?patient=${rand()}`,
    `/Consent?actor=${hex(n.doctorB.id)}`,
    `/Consent/${rand().slice(2)}`,
    `/Provenance?patient=${hex(n.other.id)}`,
    `/Provenance?target=${rand()}`,
    `/Provenance/${rand().slice(2)}`,
  ])
    assert.equal(await get(ctx, 'patient', path), known, path);
});

test('each search and read is judged as its JSON-RPC equivalent, caller by caller', async (ctx) => {
  const { n } = ctx;
  const p = hex(n.patient.id);
  const consent = hex(n.consent).slice(2);
  // audit_query {patient}: the patient and her live delegate.
  await expectScope(ctx, `/AuditEvent?patient=${p}`, ['patient', 'delegate']);
  await expectScope(ctx, `/AuditEvent?patient=${p}&agent=${hex(n.doctor.id)}`, ['patient', 'delegate']);
  await expectScope(ctx, `/AuditEvent?entity=${hex(n.record)}`, ['patient', 'delegate']);
  // audit_query {grantee}: the practitioner's own access history, and its organization's staff.
  await expectScope(ctx, `/AuditEvent?agent=${hex(n.doctor.id)}`, ['doctor', 'orgA']);
  // consent_listByPatient / consent_listByGrantee; both: either (every result names both).
  await expectScope(ctx, `/Consent?patient=${p}`, ['patient', 'delegate']);
  await expectScope(ctx, `/Consent?actor=${hex(n.doctor.id)}`, ['doctor', 'orgA']);
  await expectScope(ctx, `/Consent?patient=${p}&actor=${hex(n.doctor.id)}`, ['patient', 'delegate', 'doctor', 'orgA']);
  // consent_get: the patient (or delegate), the grantee, the grantee's organization.
  await expectScope(ctx, `/Consent/${consent}`, ['patient', 'delegate', 'doctor', 'orgA']);
  // record_get: the patient (or delegate), the custodian, a grantee with a live consent.
  await expectScope(ctx, `/Provenance/${hex(n.record).slice(2)}`, ['patient', 'delegate', 'orgA', 'doctor']);
  await expectScope(ctx, `/Provenance?target=${hex(n.otherRecord)}`, ['other', 'orgB']);
  // record_listByPatient.
  await expectScope(ctx, `/Provenance?patient=${p}`, ['patient', 'delegate']);
  // The events topic: an access event names the patient and the grantee.
  const access = entries(await get(ctx, 'operator', `/AuditEvent?agent=${hex(n.doctor.id)}`))[0]?.resource.id;
  assert.ok(access !== undefined);
  await expectScope(ctx, `/AuditEvent/${access}`, ['patient', 'delegate', 'doctor', 'orgA']);
});

test('FHIR reads of personal data are logged like JSON-RPC reads; a signed-out session is 401', async (ctx) => {
  const { n } = ctx;
  const token = await login(n.url, n.patient);
  const before = n.reads.length;
  assert.is((await get(ctx, { token }, `/AuditEvent?patient=${hex(n.patient.id)}`)).status, 200);
  const logged = n.reads.slice(before).find((r) => String(r.obj.read).startsWith('fhir AuditEvent'));
  assert.ok(logged, 'read logged');
  assert.is(logged?.obj.caller, hex(n.patient.id));
  assert.is(logged?.obj.role, 'patient');
  assert.equal(logged?.obj.subject, { patient: hex(n.patient.id) });
  assert.is((await call(n.url, 'auth_logout', undefined, bearer(token))).result, true);
  const r = await get(ctx, { token }, `/AuditEvent?patient=${hex(n.patient.id)}`);
  assert.is(r.status, 401);
  assert.is(r.wwwAuthenticate, 'Bearer');
});

test.run();
