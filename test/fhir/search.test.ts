/**
 * The FHIR facade over a 10,000-access history built in process against the state layer (a real
 * ChainState on LevelDB with the medical state machine and audit indexes; no consensus), served by
 * a real RpcServer with the facade mounted: search parameters, paging with next links and total,
 * reads, OperationOutcome refusals, the operator-token hook; every resource checked against the
 * official FHIR R4 JSON schema.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildHistory, type History, RECORD_TYPES } from '../../bench/fhir-history.js';
import { RpcServer } from '../../rpc/index.js';
import { to0x } from '../../src/codec/bytes.js';
import { FhirHandler, operatorTokenAuthorizer } from '../../src/fhir/index.js';
import { loud } from '../helpers/hooks.js';
import { fhirSchemaErrors, resourcesIn } from './schema.js';

const ACCESSES = 10_000;
let h: History;
let server: RpcServer;
let base = '';

interface Reply {
  status: number;
  body: Record<string, unknown> & { resourceType: string };
  headers: Headers;
}

async function get(path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? ({} as Reply['body']) : JSON.parse(text), headers: res.headers };
}

function valid(r: unknown): void {
  for (const x of resourcesIn(r)) {
    const errs = fhirSchemaErrors(x);
    assert.equal(errs, [], errs.slice(0, 3).join('\n'));
  }
}

interface Bundle {
  resourceType: 'Bundle';
  total?: number;
  link: { relation: string; url: string }[];
  entry: { fullUrl: string; resource: Record<string, unknown> & { id: string } }[];
}

/** Follows next links to the end; checks each page is a valid searchset and returns every resource. */
async function all(
  path: string,
  check = false,
): Promise<{ resources: Bundle['entry'][number]['resource'][]; pages: number; total?: number }> {
  const resources: Bundle['entry'][number]['resource'][] = [];
  let url: string | undefined = path;
  let pages = 0;
  let total: number | undefined;
  while (url !== undefined) {
    const r = await get(url);
    assert.is(r.status, 200, JSON.stringify(r.body));
    const b = r.body as unknown as Bundle;
    assert.is(b.resourceType, 'Bundle');
    if (check || pages === 0) valid(b);
    resources.push(...b.entry.map((e) => e.resource));
    const next = b.link.find((l) => l.relation === 'next')?.url;
    if (next !== undefined) assert.is(b.total, undefined, 'total only once known');
    else total = b.total;
    url = next;
    pages++;
    if (pages > 1000) throw new Error('runaway paging');
  }
  return { resources, pages, ...(total === undefined ? {} : { total }) };
}

const pos = (r: Record<string, unknown>): number[] => String(r.id).split('-').map(Number);

test.before(
  loud('fhir/search', async () => {
    h = await buildHistory(ACCESSES);
    server = new RpcServer({ port: 0, rateLimit: null });
    const source = { chainId: 'fhir-history', node: 'test-node' };
    server.mount(new FhirHandler({}, { api: h.api, source, baseUrl: () => `${base}` }));
    server.mount(
      new FhirHandler(
        { basePath: '/op/fhir' },
        { api: h.api, source, baseUrl: () => `${base}`, authorize: operatorTokenAuthorizer('op-secret') },
      ),
    );
    const a = await server.listen();
    base = `${a.url}/fhir`;
  }),
);

test.after(async () => {
  await server?.close();
  await h?.close();
});

test('metadata is a valid CapabilityStatement listing exactly AuditEvent, Consent and Provenance', async () => {
  const r = await get('/metadata');
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/fhir\+json/);
  valid(r.body);
  const rest = (r.body.rest as { resource: { type: string; interaction: { code: string }[] }[] }[])[0];
  assert.equal(
    rest?.resource.map((x) => x.type),
    ['AuditEvent', 'Consent', 'Provenance'],
  );
  for (const x of rest?.resource ?? [])
    assert.equal(
      x.interaction.map((i) => i.code),
      ['read', 'search-type'],
    );
});

test('AuditEvent by patient pages through 10,026 events once each, in chain order, total on the last page', async () => {
  const expected = ACCESSES + 4 + 21 + 1; // accesses, record.added, consent.granted, consent.revoked
  const { resources, pages, total } = await all(`/AuditEvent?patient=Patient/${to0x(h.patient)}&_count=200`);
  assert.is(resources.length, expected);
  assert.is(total, expected);
  assert.is(pages, Math.ceil(expected / 200));
  assert.is(new Set(resources.map((r) => r.id)).size, expected, 'no duplicates');
  for (let i = 1; i < resources.length; i++) {
    const [a, b] = [pos(resources[i - 1] as Record<string, unknown>), pos(resources[i] as Record<string, unknown>)];
    const cmp =
      (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number) || (a[2] as number) - (b[2] as number);
    assert.ok(cmp < 0, `order at ${i}`);
  }
  // The privacy-disclosure shape carries the chain position.
  const access = resources.find((r) => (r.subtype as { code: string }[]).some((c) => c.code === 'disclose'));
  assert.ok(access);
  const ext = ((access as Record<string, unknown>).extension as { url: string; extension: { url: string }[] }[])[0];
  assert.equal(ext?.extension.map((e) => e.url).slice(0, 2), ['height', 'txHash']);
});

test('outcome=4 returns exactly the denials; outcome=0 the rest', async () => {
  const denied = await all(`/AuditEvent?patient=${to0x(h.patient)}&outcome=4&_count=200`);
  assert.is(denied.resources.length, h.denied);
  for (const r of denied.resources) {
    assert.is(r.outcome, '4');
    assert.match(String(r.outcomeDesc), /^DENIED (NO_CONSENT|REVOKED|PURPOSE_MISMATCH)$/);
  }
  const ok = await all(`/AuditEvent?patient=${to0x(h.patient)}&outcome=0&_count=200`);
  assert.is(ok.resources.length + denied.resources.length, ACCESSES + 26);
});

test('purpose filters by ActReason (with or without its system)', async () => {
  const research = Array.from({ length: ACCESSES }, (_, i) => i % 7 === 3).filter(Boolean).length;
  const r = await all(
    `/AuditEvent?patient=${to0x(h.patient)}&purpose=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH')}&_count=200`,
  );
  assert.is(r.resources.length, research);
  for (const x of r.resources)
    assert.is((x.purposeOfEvent as { coding: { code: string }[] }[])[0]?.coding[0]?.code, 'HRESCH');
});

test('a filter that never matches scans a bounded slice per page: empty pages with next links, then total 0', async () => {
  const r = await all(`/AuditEvent?patient=${to0x(h.patient)}&purpose=PUBHLTH&_count=10`);
  assert.is(r.resources.length, 0);
  assert.is(r.total, 0);
  // At most scanBudget(10) = 1,000 entries of an index examined per page: 10,000 accesses take 10 or more pages.
  assert.ok(r.pages >= 10, `${r.pages} pages`);
});

test('agent narrows to one practitioner, alone or under the patient, with the same result', async () => {
  const doc = to0x(h.practitioners[0] as Uint8Array);
  const alone = await all(`/AuditEvent?agent=Practitioner/${doc}&_count=200`);
  const under = await all(`/AuditEvent?patient=${to0x(h.patient)}&agent=${doc}&_count=200`);
  // 500 accesses and two consent grants (one not yet valid).
  assert.is(alone.resources.length, ACCESSES / 20 + 2);
  assert.equal(
    under.resources.map((r) => r.id),
    alone.resources.map((r) => r.id),
  );
});

test('entity narrows to one record: its accesses, its pointer and the consents naming it', async () => {
  const r = await all(`/AuditEvent?entity=Observation/${to0x(h.records[0] as Uint8Array)}&_count=200`);
  assert.is(r.resources.length, ACCESSES / 4 + 1 + 21);
});

test('date ranges are block-time key ranges (ge and lt together)', async () => {
  const from = new Date(h.firstAccessTime + 2000).toISOString();
  const to = new Date(h.firstAccessTime + 5000).toISOString();
  const r = await all(
    `/AuditEvent?patient=${to0x(h.patient)}&date=ge${encodeURIComponent(from)}&date=lt${encodeURIComponent(to)}&_count=200`,
  );
  assert.is(r.resources.length, 3000);
  for (const x of r.resources) {
    const t = Date.parse(String(x.recorded));
    assert.ok(t >= h.firstAccessTime + 2000 && t < h.firstAccessTime + 5000);
  }
});

test('Consent search by patient, actor and status reflects grants, revocation and not-yet-valid consents', async () => {
  const p = to0x(h.patient);
  const every = await all(`/Consent?patient=${p}`, true);
  assert.is(every.resources.length, 21);
  assert.is(every.total, 21);
  const by = (s: string) => every.resources.filter((r) => r.status === s).length;
  assert.is(by('active'), 19);
  assert.is(by('rejected'), 1);
  assert.is(by('proposed'), 1);
  assert.is((await all(`/Consent?patient=${p}&status=active`)).resources.length, 19);
  assert.is((await all(`/Consent?patient=${p}&status=rejected,proposed`)).resources.length, 2);
  const doc = to0x(h.practitioners[0] as Uint8Array);
  assert.is((await all(`/Consent?actor=Practitioner/${doc}`)).resources.length, 2);
  const c = every.resources[0] as unknown as { provision: { data: unknown[]; purpose: { code: string }[] } };
  assert.is(c.provision.data.length, 4);
  assert.is(c.provision.purpose[0]?.code, 'TREAT');
});

test('reads: Consent, Provenance and AuditEvent by id; unknown ids are 404 OperationOutcomes', async () => {
  const revoked = await get(`/Consent/${to0x(h.revoked).slice(2)}`);
  assert.is(revoked.status, 200);
  valid(revoked.body);
  assert.is(revoked.body.status, 'rejected');
  const prov = await get(`/Provenance/${to0x(h.records[2] as Uint8Array).slice(2)}`);
  assert.is(prov.status, 200);
  valid(prov.body);
  assert.is((prov.body.target as { type: string }[])[0]?.type, RECORD_TYPES[2]);
  const page = await get(`/AuditEvent?patient=${to0x(h.patient)}&outcome=4&_count=1`);
  const first = (page.body as unknown as Bundle).entry[0]?.resource;
  const one = await get(`/AuditEvent/${first?.id}`);
  assert.is(one.status, 200);
  assert.equal(one.body, first);
  for (const path of [`/Consent/${'ab'.repeat(32)}`, '/AuditEvent/999999-0-0', '/Provenance/xyz']) {
    const r = await get(path);
    assert.is(r.status, 404, path);
    assert.is(r.body.resourceType, 'OperationOutcome');
    valid(r.body);
  }
});

test('Provenance for every record pointer: target typed, author and custodian agents, commitment', async () => {
  const r = await all(`/Provenance?patient=Patient/${to0x(h.patient)}`, true);
  assert.equal(
    r.resources.map((x) => (x.target as { type: string }[])[0]?.type),
    [...RECORD_TYPES],
  );
  for (const x of r.resources)
    assert.ok(
      (x.entity as { what: { identifier?: { system: string } } }[]).some(
        (e) => e.what.identifier?.system === 'urn:medchain:commitment',
      ),
    );
});

test('refuses unknown, repeated, modified and malformed parameters with a 400 OperationOutcome', async () => {
  const p = to0x(h.patient);
  for (const q of [
    `patient=${p}&foo=1`,
    `patient=${p}&_sort=date`,
    `patient:missing=true`,
    `patient=${p}&patient=${p}`,
    `patient=${p}&_count=0`,
    `patient=${p}&_count=201`,
    `patient=${p}&_count=ten`,
    `patient=${p}&_page=0x00`,
    `patient=${p}&date=yesterday`,
    `patient=${p}&outcome=granted`,
    `patient=${p}&purpose=SPY`,
    `patient=nothex`,
    `outcome=4`,
  ]) {
    const r = await get(`/AuditEvent?${q}`);
    assert.is(r.status, 400, q);
    assert.is(r.body.resourceType, 'OperationOutcome', q);
    valid(r.body);
    assert.not.match(JSON.stringify(r.body), p.slice(2, 20), 'values are not echoed');
  }
});

test('answers 414, 405, 406 and 404 where FHIR expects them', async () => {
  assert.is((await get(`/AuditEvent?patient=${'a'.repeat(3000)}`)).status, 414);
  const post = await get('/AuditEvent', {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/fhir+json' },
  });
  assert.is(post.status, 405);
  assert.is(post.headers.get('allow'), 'GET, HEAD');
  assert.is((await get('/metadata', { headers: { accept: 'application/fhir+xml' } })).status, 406);
  assert.is((await get(`/Patient?_id=1`)).status, 404);
});

test('the operator-token hook: 401 without the token, 200 with it; metadata stays open', async () => {
  const op = base.replace('/fhir', '/op/fhir');
  const q = `${op}/Consent?patient=${to0x(h.patient)}`;
  const no = await get(q);
  assert.is(no.status, 401);
  assert.is(no.headers.get('www-authenticate'), 'Bearer');
  assert.is((await get(q, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  assert.is((await get(q, { headers: { authorization: 'Bearer op-secret' } })).status, 200);
  assert.is((await get(`${op}/metadata`)).status, 200);
});

test('browsers are kept out: a foreign Origin is 403, and without a token a non-literal Host is 403 (DNS rebinding)', async () => {
  const q = `/Consent?patient=${to0x(h.patient)}`;
  assert.is((await get(q, { headers: { origin: 'https://evil.example' } })).status, 403);
  const { request } = await import('node:http');
  const status = await new Promise<number>((resolve, reject) => {
    const u = new URL(`${base}${q}`);
    const req = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { host: 'rebound.example:80' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.is(status, 403);
  assert.is((await get(q)).status, 200);
});

test('over the rate limit: 429 as an OperationOutcome with Retry-After', async () => {
  const limited = new RpcServer({ port: 0, rateLimit: { perSecond: 1, burst: 1, maxClients: 10 } });
  limited.mount(new FhirHandler({}, { api: h.api, source: { chainId: 'x', node: 'x' }, baseUrl: () => '' }));
  const a = await limited.listen();
  try {
    assert.is((await get(`${a.url}/fhir/metadata`)).status, 200);
    const r = await get(`${a.url}/fhir/metadata`);
    assert.is(r.status, 429);
    assert.is(r.body.resourceType, 'OperationOutcome');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    valid(r.body);
  } finally {
    await limited.close();
  }
});

test.run();
