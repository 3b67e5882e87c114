/**
 * Audit and consent queries over long histories cost linear time in the
 * history walked: paging through a patient's disclosures (one block per access
 * or many accesses in one block), consents, and a record filter that skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChainEvent, Receipt } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import { accessesByRecord, consentsByPatient, disclosures, type IndexPage } from '../../state/index/query.js';
import { indexOps } from '../../state/index/writer.js';
import { type BatchOp, type Db, openDb } from '../../state/store/db.js';
import { assertLinear } from './linear.js';

const id = (i: number): Uint8Array => {
  const b = new Uint8Array(32);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const PATIENT = id(1);
const RECORD = id(2);
const T0 = 1_700_000_000_000;

/** Event 0 adds the record (its owner index entry), the rest are accesses, every tenth naming it. */
function access(i: number): ChainEvent {
  if (i === 0) return { type: 'record.added', attrs: { record: RECORD, patient: PATIENT } };
  const records = i % 10 === 0 ? RECORD : id(100 + i);
  return { type: 'access', attrs: { patient: PATIENT, grantee: id(3), records, granted: true, purpose: 1 } };
}
const consent = (i: number): ChainEvent => ({
  type: 'consent.granted',
  attrs: { patient: PATIENT, grantee: id(10 + i), consent: id(1000 + i) },
});

const dbs: { db: Db; dir: string }[] = [];
test.after(async () => {
  for (const { db, dir } of dbs) {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/** A database holding `blocks` blocks of `perBlock` events each. */
async function history(blocks: number, perBlock: number, event: (i: number) => ChainEvent): Promise<Db> {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-linear-'));
  const db = await openDb(dir);
  dbs.push({ db, dir });
  let ops: BatchOp[] = [];
  for (let h = 1; h <= blocks; h++) {
    const txs = Array.from({ length: perBlock }, (_, k) => ({ hash: id(h * perBlock + k) }) as Tx);
    const receipts: Receipt[] = txs.map((t, k) => ({
      txHash: t.hash,
      status: 0,
      code: '',
      events: [event((h - 1) * perBlock + k)],
    }));
    indexOps({ height: h, time: T0 + h * 1000, txs, receipts }, ops);
    if (ops.length > 10_000) {
      await db.batch(ops);
      ops = [];
    }
  }
  await db.batch(ops);
  return db;
}

/** Pages through a whole query; returns the number of entries seen. */
async function walk(page: (cursor: Uint8Array | null) => Promise<IndexPage>): Promise<number> {
  let seen = 0;
  let cursor: Uint8Array | null = null;
  do {
    const p: IndexPage = await page(cursor);
    seen += p.entries.length;
    cursor = p.cursor;
  } while (cursor !== null);
  return seen;
}

test('paging through a long disclosure history is linear in its length', async () => {
  await assertLinear(
    'disclosures, one block each',
    async (n) => {
      const db = await history(n, 1, access);
      return () => walk((cursor) => disclosures(db, PATIENT, { limit: 100, cursor }));
    },
    1000,
  );
});

test('paging through many accesses within one block is linear in their number', async () => {
  await assertLinear(
    'disclosures, one block',
    async (n) => {
      const db = await history(1, n, access);
      return () => walk((cursor) => disclosures(db, PATIENT, { limit: 100, cursor }));
    },
    1000,
  );
});

test('paging newest-first through a long history is linear in its length', async () => {
  await assertLinear(
    'disclosures reversed',
    async (n) => {
      const db = await history(n / 10, 10, access);
      return () => walk((cursor) => disclosures(db, PATIENT, { limit: 100, cursor, reverse: true }));
    },
    1000,
  );
});

test('listing a patient’s consents over a long history is linear in its length', async () => {
  await assertLinear(
    'consents by patient',
    async (n) => {
      const db = await history(n, 1, consent);
      return () => walk((cursor) => consentsByPatient(db, PATIENT, { limit: 100, cursor }));
    },
    1000,
  );
});

test('a record query that filters a long history is linear in the history skipped', async () => {
  await assertLinear(
    'accesses by record',
    async (n) => {
      const db = await history(n, 1, access);
      return () => walk((cursor) => accessesByRecord(db, RECORD, { limit: 10, cursor }));
    },
    1000,
  );
});

test('paging by cursor through large block groups returns every entry once, in order, both ways', async () => {
  // Three blocks of 600 accesses: large groups, kept decoded between the pages that stop inside them.
  const db = await history(3, 600, access);
  const entries = async (reverse: boolean, limit: number) => {
    const out: string[] = [];
    let cursor: Uint8Array | null = null;
    do {
      const p: IndexPage = await disclosures(db, PATIENT, { limit, cursor, reverse });
      for (const e of p.entries) out.push(`${e.height}/${e.receipt}/${e.seq}`);
      cursor = p.cursor;
    } while (cursor !== null);
    return out;
  };
  const forward = await entries(false, 1000);
  assert.is(forward.length, 1799);
  assert.is(new Set(forward).size, 1799);
  for (const limit of [1, 7, 100, 999]) {
    assert.equal(await entries(false, limit), forward, `forward, limit ${limit}`);
    assert.equal(await entries(true, limit), [...forward].reverse(), `reverse, limit ${limit}`);
  }
});

test.run();
