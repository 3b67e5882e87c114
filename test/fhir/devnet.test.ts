/**
 * The FHIR facade and the audit feed on a real two-validator devnet (node processes on loopback).
 * A patient with consents granted, revoked, expired and not yet valid, granted and denied
 * accesses, break-glass (opened, used, reviewed) and an erasure: every resource the facade returns
 * validates against the official FHIR R4 JSON schema and says what the chain says. Node 0 feeds
 * its AuditEvents to a local receiver that goes down mid-run while node 0 is also restarted: once
 * the receiver is back it holds every AuditEvent of the chain exactly once per event (repeats
 * identifiable by id), first arrivals in chain order.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import { SessionKeeper } from '../../src/client/auth.js';
import {
  type Account,
  accountFromSecret,
  generateAccount,
  hex,
  MedchainClient,
  TxFactory,
} from '../../src/client/index.js';
import { loud } from '../helpers/hooks.js';
import { freePorts, operatorToken, rpc, TestNet, until } from '../helpers/procs.js';
import { FhirReceiver } from './receiver.js';
import { fhirSchemaErrors, resourcesIn } from './schema.js';
import { sendRetry } from './send.js';

let net: TestNet;
let client: MedchainClient;
let chainId: string;
let org: Account;
let receiver: FhirReceiver;
let fhir = '';
const patient = generateAccount();
const doc = generateAccount();
const other = generateAccount();
const em = generateAccount();
const records: Uint8Array[] = [];
const consents: Record<string, string> = {};
const seen: unknown[] = [];
const FEED_TOKEN = 'feed-secret';

const as = (a: Account) => new TxFactory({ chainId, account: a });
const rand = () => crypto.getRandomValues(new Uint8Array(32));

async function send(tx: { bytes: Uint8Array; hash: Uint8Array }, status = 'ok', code?: string): Promise<void> {
  const r = await sendRetry(client, tx);
  assert.is(r.status, status, `${r.status} ${r.code ?? ''}`);
  if (code !== undefined) assert.is(r.code, code);
}

/** A GET as the operator, or with another bearer token (a patient's sign-in session; '': none). */
async function get(path: string, token = operatorToken()): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response | undefined;
  // A loaded machine can drop a loopback connection now and then: retry transport errors only.
  for (let attempt = 0; res === undefined; attempt++) {
    try {
      // Test nodes have an operator token (personal data is never open): read as the operator.
      res = await fetch(`${fhir}${path}`, token === '' ? {} : { headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      if (attempt >= 4)
        throw new Error(`${path}: ${String(err)}; node 0: ${net.nodes[0]?.output.join('').slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  const body = (await res.json()) as Record<string, unknown>;
  for (const r of resourcesIn(body)) {
    const errs = fhirSchemaErrors(r);
    assert.equal(errs, [], `${path}: ${errs.slice(0, 3).join('\n')}`);
    seen.push(r);
  }
  return { status: res.status, body };
}

type Res = Record<string, unknown> & { id: string };
async function search(path: string, token = operatorToken()): Promise<Res[]> {
  const out: Res[] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const r = await get(next.startsWith('http') ? next.slice(fhir.length) : next, token);
    assert.is(r.status, 200, JSON.stringify(r.body));
    const b = r.body as { entry: { resource: Res }[]; link: { relation: string; url: string }[] };
    out.push(...b.entry.map((e) => e.resource));
    next = b.link.find((l) => l.relation === 'next')?.url;
  }
  return out;
}

const subtypes = (r: Res) => (r.subtype as { code: string }[]).map((c) => c.code);
const positionOf = (id: string) => id.split('-').map(Number) as [number, number, number];
const before = (a: string, b: string) => {
  const [x, y] = [positionOf(a), positionOf(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

test.before(
  loud('fhir/devnet', async () => {
    // Txs make blocks at once; empty blocks (the heartbeat) only move block time on: one a second
    // does that at half the idle CPU of two nodes.
    net = await TestNet.create(2, 1000);
    const [port] = await freePorts(1);
    receiver = new FhirReceiver(port as number);
    await receiver.up();
    const cfgFile = join(net.nodes[0]?.home as string, 'config.json');
    const cfg = JSON.parse(await readFile(cfgFile, 'utf8'));
    cfg.fhir = {
      feed: { url: receiver.url, token: FEED_TOKEN, retryBaseMs: 100, retryMaxMs: 1000, lagLogMs: 1000 },
    };
    await writeFile(cfgFile, JSON.stringify(cfg, null, 2));
    net.startAll();
    await net.waitHeight(0, 1, 90_000);
    const m = await readDevnet(net.dir);
    org = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
    client = MedchainClient.http(net.nodes[0]?.rpc as string);
    chainId = (await client.status()).chainId;
    fhir = `${net.nodes[0]?.rpc}/fhir`;
  }),
);

test.after(async () => {
  await client?.close();
  await net?.close();
  await receiver?.down();
});

test('a patient history: consents granted, revoked, expired and pending; accesses granted and denied', async () => {
  await send(as(patient).registerPatient(org));
  const now = (await client.status()).headTime;
  for (const d of [doc, other, em]) {
    await send(as(org).registerPractitioner(d));
    await send(
      as(org).issueCredential({
        practitioner: d.id,
        type: 'license',
        validFrom: now - 3_600_000,
        validUntil: now + 86_400_000,
      }),
    );
  }
  await send(
    as(org).issueCredential({
      practitioner: em.id,
      type: 'emergency',
      validFrom: now - 3_600_000,
      validUntil: now + 86_400_000,
    }),
  );
  for (const resourceType of ['Observation', 'AllergyIntolerance', 'Condition'] as const) {
    const record = rand();
    records.push(record);
    await send(
      as(patient).addRecord({
        record,
        patient: patient.id,
        resourceType,
        commitment: rand(),
        locator: rand(),
        custodian: org.id,
      }),
    );
  }
  const grant = async (name: string, tx: ReturnType<TxFactory['grantConsent']>) => {
    await send(tx);
    consents[name] = hex(tx.hash);
  };
  const r = records as [Uint8Array, Uint8Array, Uint8Array];
  await grant(
    'active',
    as(patient).grantConsent({ grantee: doc.id, records: [r[0], r[1]], purposes: ['TREAT'], hours: 24 }),
  );
  const head = (await client.status()).headTime;
  await grant(
    'expiring',
    as(patient).grantConsent({ grantee: doc.id, records: [r[2]], purposes: ['TREAT'], expiresAt: head + 4000 }),
  );
  await grant(
    'pending',
    as(patient).grantConsent({
      grantee: doc.id,
      records: [r[2]],
      purposes: ['TREAT'],
      notBefore: head + 86_400_000,
      hours: 24,
    }),
  );
  await grant(
    'revoked',
    as(patient).grantConsent({ grantee: other.id, records: [r[0]], purposes: ['TREAT'], hours: 24 }),
  );
  await send(as(patient).revokeConsent({ grantee: other.id, consent: consents.revoked as string }));
  await send(as(doc).access({ patient: patient.id, records: [r[0]], purpose: 'TREAT' }));
  await send(as(other).access({ patient: patient.id, records: [r[0]], purpose: 'TREAT' }), 'denied', 'REVOKED');
  await until('the short consent to expire', 60_000, async () =>
    (await client.status()).headTime > head + 4000 ? true : undefined,
  );
  await send(as(doc).access({ patient: patient.id, records: [r[2]], purpose: 'TREAT' }), 'denied');
});

test('break-glass opened, used and reviewed; then the receiver goes down and node 0 restarts', async () => {
  const r = records as [Uint8Array, Uint8Array, Uint8Array];
  const bg = as(em).breakGlass(patient.id, 'ETREAT');
  await send(bg);
  await send(as(em).access({ patient: patient.id, records: [r[1]], purpose: 'ETREAT' }));
  // Everything so far reaches the receiver before the outage.
  await until('the receiver to catch up', 90_000, async () => (receiver.byId.size >= 12 ? true : undefined));
  await receiver.down();
  await send(as(org).reviewEmergency(bg.hash, true));
  await send(as(patient).eraseRecord(r[1]));
  // Node 0 goes down too while the receiver is away; the chain waits for it (2 of 2 validators).
  await net.kill(0, 'SIGTERM');
  net.start(0);
  await until('node 0 back', 90_000, async () => ((await client.status()).headHeight > 0 ? true : undefined));
  await send(as(doc).access({ patient: patient.id, records: [r[0]], purpose: 'TREAT' }));
  await receiver.up();
});

test('every resource the facade returns validates against the official FHIR R4 schema and says what the chain says', async () => {
  const p = hex(patient.id);
  const md = await get('/metadata');
  assert.is(md.body.resourceType, 'CapabilityStatement');
  const events = await search(`/AuditEvent?patient=Patient/${p}&_count=7`);
  const types = events.map((e) => subtypes(e).at(-1));
  for (const t of [
    'record.added',
    'consent.granted',
    'consent.revoked',
    'access',
    'emergency.opened',
    'emergency.reviewed',
    'record.erased',
  ])
    assert.ok(types.includes(t), `has ${t}`);
  const accesses = events.filter((e) => subtypes(e).includes('disclose'));
  assert.is(accesses.length, 5);
  assert.equal(
    accesses.map((a) => a.outcome),
    ['0', '4', '4', '0', '0'],
  );
  assert.equal(
    accesses.map((a) => a.outcomeDesc ?? null),
    [null, 'DENIED REVOKED', accesses[2]?.outcomeDesc, null, null],
  );
  assert.match(String(accesses[2]?.outcomeDesc), /^DENIED [A-Z_]+$/);
  const emergency = accesses[3] as Res;
  assert.equal(
    (emergency.purposeOfEvent as { coding: { code: string }[] }[]).map((c) => c.coding[0]?.code),
    ['ETREAT', 'BTG'],
  );
  const bg = events.find((e) => subtypes(e).includes('110127')) as Res;
  assert.is((bg.type as { code: string }).code, '110113');
  const erased = events.find((e) => subtypes(e).includes('record.erased')) as Res;
  assert.is(erased.action, 'D');
  // The chain position is the id and the extension.
  const ext = (emergency.extension as { extension: { url: string; valueUnsignedInt?: number }[] }[])[0];
  assert.is(ext?.extension[0]?.valueUnsignedInt, positionOf(emergency.id)[0]);

  const cs = await search(`/Consent?patient=${p}`);
  const status = (id: string) => cs.find((c) => c.id === id.slice(2))?.status;
  assert.is(status(consents.active as string), 'active');
  assert.is(status(consents.expiring as string), 'inactive');
  assert.is(status(consents.pending as string), 'proposed');
  assert.is(status(consents.revoked as string), 'rejected');
  // The erased record no longer counts as covered by the consent.
  const active = cs.find((c) => c.id === (consents.active as string).slice(2)) as Res;
  assert.is((active.provision as { data: unknown[] }).data.length, 1);
  for (const id of Object.values(consents)) assert.is((await get(`/Consent/${id.slice(2)}`)).status, 200);

  const prov = await search(`/Provenance?patient=${p}`);
  assert.is(prov.length, 3);
  assert.equal(
    prov.map((x) => ((x.activity as { coding: { code: string }[] }).coding[0] as { code: string }).code),
    ['CREATE', 'DELETE', 'CREATE'],
  );
  for (const r of records) assert.is((await get(`/Provenance/${hex(r).slice(2)}`)).status, 200);
  for (const who of [doc, other, em]) await search(`/AuditEvent?agent=${hex(who.id)}`);
  for (const r of records) await search(`/AuditEvent?entity=${hex(r)}`);
  assert.is((await get(`/AuditEvent?patient=${p}&bogus=1`)).status, 400);
  assert.is((await get(`/Consent/${'00'.repeat(32)}`)).status, 404);
  assert.ok(seen.length > 40);
});

test('the feed receiver holds every AuditEvent exactly once per chain event, in chain order, across the outage and the restart', async () => {
  const chain = await search(`/AuditEvent?patient=${hex(patient.id)}&_count=200`);
  const want = chain.map((e) => e.id);
  await until('the receiver to hold every event', 120_000, async () =>
    want.every((id) => receiver.byId.has(id)) ? true : undefined,
  );
  const ids = new Set(receiver.arrivals.map((a) => a.id));
  assert.equal([...ids].sort(before), [...want].sort(before), 'the same events, no others');
  // First arrivals are in chain order; repeats (at-least-once resends) carry the same id and content.
  const first: string[] = [];
  for (const a of receiver.arrivals) if (!first.includes(a.id)) first.push(a.id);
  assert.equal(first, [...first].sort(before));
  for (const e of chain) assert.equal(receiver.byId.get(e.id), e);
  for (const a of receiver.arrivals) assert.equal(fhirSchemaErrors(a.resource), []);
  assert.is(receiver.authorization, `Bearer ${FEED_TOKEN}`);
  const out = net.nodes[0]?.output.join('') ?? '';
  assert.match(out, /fhir feed: lag/);
  assert.match(out, /fhir feed: delivery failed/);
  assert.not.match(out, new RegExp(FEED_TOKEN));
});

test('a patient signed in over JSON-RPC reads her own AuditEvents on /fhir and is refused the rest alike', async () => {
  const url = net.nodes[0]?.rpc as string;
  const token = await new SessionKeeper(patient, (m, p) => rpc(url, m, p as unknown[]), chainId).token();
  const p = hex(patient.id);
  const asOperator = await search(`/AuditEvent?patient=${p}&_count=200`);
  const asPatient = await search(`/AuditEvent?patient=${p}&_count=200`, token);
  assert.equal(
    asPatient.map((e) => e.id),
    asOperator.map((e) => e.id),
  );
  assert.is((await get(`/Consent/${(consents.active as string).slice(2)}`, token)).status, 200);
  const refused = await get(`/AuditEvent?agent=${hex(doc.id)}`, token);
  assert.is(refused.status, 403);
  assert.is(refused.body.resourceType, 'OperationOutcome');
  assert.equal(await get(`/AuditEvent?patient=${hex(rand())}`, token), refused);
  assert.is((await get(`/AuditEvent?patient=${p}`, '')).status, 401);
});

test.run();
