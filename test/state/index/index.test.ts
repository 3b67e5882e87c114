import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { equal, toHex } from '../../../src/codec/bytes.js';
import {
  accessesByGrantee,
  accessesByRecord,
  byOrganization,
  consentsByGrantee,
  consentsByPatient,
  credentialsByPractitioner,
  disclosures,
  flags,
  flagsByGrantee,
  type IndexEntry,
  type IndexPage,
  type IndexQuery,
  rebuildIndexes,
  recordsByPatient,
} from '../../../state/index/query.js';
import type { Db } from '../../../state/store/db.js';
import { rid, TestChain } from '../domain/helpers.js';
import { hospitalDay } from '../domain/scenario.js';

type Day = Awaited<ReturnType<typeof hospitalDay>>;
interface Ctx {
  c: TestChain;
  d: Day;
}
const test = suite<Ctx>('audit indexes');

test.before(async (ctx) => {
  ctx.c = await TestChain.open();
  ctx.d = await hospitalDay(ctx.c);
});
test.after(async (ctx) => {
  await ctx.c.close();
});

const show = (e: IndexEntry): string => `${e.height}.${e.receipt}.${e.seq} ${e.type} ${toHex(e.txHash).slice(0, 8)}`;

/** Every page of a query, following cursors. */
async function all(q: (opts: IndexQuery) => Promise<IndexPage>, opts: IndexQuery = {}): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  let cursor: Uint8Array | null = null;
  do {
    const page = await q({ ...opts, cursor });
    out.push(...page.entries);
    cursor = page.cursor;
  } while (cursor !== null);
  return out;
}

/** The answers of every named query, as comparable strings. */
async function answers(db: Db, d: Day): Promise<string[]> {
  const qs: [string, (o: IndexQuery) => Promise<IndexPage>][] = [
    ['disclosures', (o) => disclosures(db, d.alice.id, o)],
    ['byGranteeX', (o) => accessesByGrantee(db, d.drX.id, o)],
    ['byGranteeE', (o) => accessesByGrantee(db, d.drE.id, o)],
    ['byRecord', (o) => accessesByRecord(db, rid('a-1'), o)],
    ['flags', (o) => flags(db, o)],
    ['flagsE', (o) => flagsByGrantee(db, d.drE.id, o)],
    ['consentsP', (o) => consentsByPatient(db, d.alice.id, o)],
    ['consentsG', (o) => consentsByGrantee(db, d.drX.id, o)],
    ['records', (o) => recordsByPatient(db, d.alice.id, o)],
    ['creds', (o) => credentialsByPractitioner(db, d.drX.id, o)],
    ['org1', (o) => byOrganization(db, d.o1.id, o)],
  ];
  const out: string[] = [];
  for (const [name, q] of qs)
    for (const e of await all(q, { limit: 3 }))
      out.push(`${name} ${show(e)} ${JSON.stringify(e.attrs, (_, v) => (v instanceof Uint8Array ? toHex(v) : v))}`);
  return out;
}

test('accounting of disclosures lists every access to the patient records with who, when, purpose, outcome, emergency', async ({
  c,
  d,
}) => {
  const es = await all((o) => disclosures(c.db, d.alice.id, o));
  const accesses = es.filter((e) => e.type === 'access');
  assert.ok(accesses.length >= 20);
  for (const e of accesses) {
    assert.ok(e.attrs.grantee instanceof Uint8Array && typeof e.attrs.purpose === 'string');
    assert.ok(typeof e.attrs.granted === 'boolean' && typeof e.attrs.emergency === 'boolean');
  }
  assert.ok(accesses.some((e) => e.attrs.emergency === true && e.attrs.granted === true));
  assert.ok(accesses.some((e) => e.attrs.granted === false && e.attrs.code === 'SUSPENDED') === false);
  assert.ok(accesses.some((e) => e.attrs.granted === false && e.attrs.code === 'REVOKED'));
  assert.ok(es.some((e) => e.type === 'emergency.opened') && es.some((e) => e.type === 'emergency.overdue'));
  // time order, and no access to bob's records
  for (let i = 1; i < es.length; i++) assert.ok((es[i] as IndexEntry).time >= (es[i - 1] as IndexEntry).time);
  assert.ok(accesses.every((e) => equal(e.attrs.patient as Uint8Array, d.alice.id)));
});

test('pages follow cursors without gaps or repeats, forward and newest-first', async ({ c, d }) => {
  const whole = (await disclosures(c.db, d.alice.id, { limit: 1000 })).entries.map(show);
  const paged = (await all((o) => disclosures(c.db, d.alice.id, o), { limit: 4 })).map(show);
  assert.equal(paged, whole);
  const reversed = (await all((o) => disclosures(c.db, d.alice.id, o), { limit: 5, reverse: true })).map(show);
  assert.equal(reversed, [...whole].reverse());
  const first = await disclosures(c.db, d.alice.id, { limit: whole.length });
  assert.is(first.cursor, null, 'the last page has no cursor');
});

test('time ranges: from is inclusive, to exclusive', async ({ c, d }) => {
  const es = await all((o) => accessesByGrantee(c.db, d.drX.id, o));
  const times = [...new Set(es.map((e) => e.time))];
  assert.ok(times.length >= 3);
  const t1 = times[1] as number;
  const t2 = times[2] as number;
  const ranged = await all((o) => accessesByGrantee(c.db, d.drX.id, o), { from: t1, to: t2 });
  assert.ok(ranged.length > 0);
  assert.ok(ranged.every((e) => e.time === t1));
  assert.is(ranged.length, es.filter((e) => e.time === t1).length);
  const reverseRanged = await all((o) => accessesByGrantee(c.db, d.drX.id, o), {
    from: t1,
    to: t2,
    reverse: true,
    limit: 2,
  });
  assert.equal(reverseRanged.map(show), ranged.map(show).reverse());
});

test('per record, per grantee, flags, consents, records and credentials are indexed', async ({ c, d }) => {
  const byRec = await all((o) => accessesByRecord(c.db, rid('a-1'), o));
  assert.ok(byRec.length >= 3);
  const flagged = await all((o) => flagsByGrantee(c.db, d.drE.id, o));
  const types = new Set(flagged.map((e) => e.type));
  for (const t of ['access', 'grantee.suspended', 'grantee.reinstated', 'emergency.opened', 'emergency.overdue'])
    assert.ok(types.has(t), t);
  const consents = await all((o) => consentsByPatient(c.db, d.alice.id, o));
  assert.equal(
    consents.map((e) => e.type),
    ['consent.granted', 'consent.granted', 'consent.revoked'],
  );
  assert.is((await all((o) => consentsByGrantee(c.db, d.drX.id, o))).length, 3);
  const recs = (await all((o) => recordsByPatient(c.db, d.alice.id, o))).map((e) => e.type);
  assert.ok(recs.includes('record.erased') && recs.includes('record.erase_blocked') && recs.includes('record.hold'));
  const creds = await all((o) => credentialsByPractitioner(c.db, d.drX.id, o));
  assert.equal(
    creds.map((e) => `${e.type} ${e.attrs.credType}`),
    ['credential.issued license', 'credential.issued specialty', 'credential.revoked specialty'],
  );
  const global = await all((o) => flags(c.db, o));
  assert.ok(global.some((e) => e.type === 'record.erase_blocked'));
});

test("an organization's index: its staff's emergency sessions and the identities it registered", async ({ c, d }) => {
  const o1 = d.o1.id;
  const es = await all((o) => byOrganization(c.db, o1, o));
  const hex = (v: unknown): string => toHex(v as Uint8Array);
  assert.equal(
    es.filter((e) => e.type === 'identity.registered').map((e) => hex(e.attrs.id)),
    [toHex(d.bob.id), toHex(d.drE.id)],
  );
  const emergencies = es.filter((e) => e.type.startsWith('emergency.'));
  assert.equal([...new Set(emergencies.map((e) => e.type))].sort(), ['emergency.opened', 'emergency.overdue']);
  assert.ok(emergencies.every((e) => hex(e.attrs.grantee) === toHex(d.drE.id) && hex(e.attrs.org) === toHex(o1)));
  // org 0 registered alice and dr X and opened no emergency
  const o0 = await all((o) => byOrganization(c.db, d.o0.id, o));
  assert.ok(o0.length >= 2 && o0.every((e) => e.type === 'identity.registered'));
  // filtered by kind
  const opened = await byOrganization(c.db, o1, {}, (e) => e.type === 'emergency.opened');
  assert.is(opened.entries.length, 1);
});

test('rebuilding the indexes from the stored blocks gives the same query answers', async ({ c, d }) => {
  const before = await answers(c.db, d);
  assert.ok(before.length > 50);
  async function* blocks() {
    for (const b of c.blocks) yield b;
  }
  const n = await rebuildIndexes(c.db, blocks(), 7);
  assert.is(n, c.blocks.length);
  assert.equal(await answers(c.db, d), before);
  // and on another node that replayed the same blocks
  const other = await TestChain.openWith(c.genesis);
  try {
    for (const b of c.blocks) await other.block([...b.txs], b.time);
    assert.equal(await answers(other.db, d), before);
  } finally {
    await other.close();
  }
});

test('queries validate their subject and cursor', async ({ c }) => {
  for (const bad of [
    () => disclosures(c.db, new Uint8Array(5)),
    () => disclosures(c.db, rid('x'), { cursor: new Uint8Array(3) }),
  ]) {
    try {
      await bad();
      assert.unreachable();
    } catch (err) {
      assert.instance(err, RangeError);
    }
  }
});

test.run();
