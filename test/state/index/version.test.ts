/**
 * The index version stamp: a DB indexed before the organization and delegates indexes existed (no
 * stamp, no such entries) is rebuilt from its stored blocks at start and then answers as a freshly
 * indexed node does; a stamped DB is not rebuilt again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, utf8 } from '../../../src/codec/bytes.js';
import { IndexName, type IndexPage, queryIndex } from '../../../state/index/index.js';
import { ensureIndexVersion, INDEX_VERSION, indexVersion } from '../../../state/index/version.js';
import { type Db, dbKey, Prefix } from '../../../state/store/db.js';
import { type ScopedNode, startScopedNode } from '../../rpc/scoped-node.js';

const test = suite<{ n: ScopedNode }>('index version', {} as { n: ScopedNode });
test.before(async (ctx) => {
  ctx.n = await startScopedNode();
});
test.after(async (ctx) => {
  await ctx.n.close();
});

const show = (p: IndexPage): string[] =>
  p.entries.map((e) => `${e.height}.${e.receipt}.${e.seq} ${e.type} ${toHex(e.txHash)}`);

/** Every index's answers for the fixture's subjects, old kinds and new. */
async function answers(db: Db, n: ScopedNode): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const subjects = { orgA: n.orgA.id, orgB: n.orgB.id, patient: n.patient.id, doctor: n.doctor.id };
  for (const [name, code] of Object.entries(IndexName))
    if (code === IndexName.FLAGS) out[name] = show(await queryIndex(db, code, null, { limit: 100 }));
    else
      for (const [who, id] of Object.entries(subjects))
        out[`${name} ${who}`] = show(await queryIndex(db, code, id, { limit: 100 }));
  return out;
}

/** Committed state at the head, as the node passes it. */
const read = (n: ScopedNode) => (k: Uint8Array) => n.api.chain.store.get(k);

/** What a DB written before version 2 lacks: the BY_ORG and DELEGATES_BY_PATIENT entries, and the stamp. */
async function makeOld(db: Db): Promise<void> {
  for (const name of [IndexName.BY_ORG, IndexName.DELEGATES_BY_PATIENT, IndexName.GOVERNANCE])
    await db.clear({ gte: Uint8Array.of(0x78, name), lt: Uint8Array.of(0x78, name + 1) });
}

test('a DB without the stamp and without the new kinds of entries is rebuilt at start and answers as a fresh one', async ({
  n,
}) => {
  const chain = n.api.chain;
  const fresh = await answers(chain.db, n);
  assert.ok((fresh['BY_ORG orgA'] ?? []).length >= 2, 'the fixture has organization entries');
  assert.ok((fresh['DELEGATES_BY_PATIENT patient'] ?? []).length >= 1, 'and a delegate');
  await makeOld(chain.db);
  assert.is(indexVersion(chain.db), 1);
  assert.equal((await answers(chain.db, n))['BY_ORG orgA'], [], 'the old DB lacks them');
  const rebuilt = await ensureIndexVersion(chain.db, 1, chain.head.height, read(n));
  assert.is(rebuilt, chain.head.height);
  assert.is(indexVersion(chain.db), INDEX_VERSION);
  assert.equal(await answers(chain.db, n), fresh);
});

test('a DB stamped with the current version is not rebuilt', async ({ n }) => {
  const chain = n.api.chain;
  assert.is(indexVersion(chain.db), INDEX_VERSION);
  await makeOld(chain.db);
  assert.is(await ensureIndexVersion(chain.db, 1, chain.head.height, read(n)), 0);
  assert.equal((await answers(chain.db, n))['BY_ORG orgA'], []);
});

test('a store whose history starts later than the range asked (a snapshot join) is rebuilt from its first stored block', async ({
  n,
}) => {
  const chain = n.api.chain;
  const stamp = dbKey(Prefix.META, utf8('index-version'));
  const rebuild = async (from: number) => {
    await makeOld(chain.db);
    await chain.db.del(stamp);
    const count = await ensureIndexVersion(chain.db, from, chain.head.height, read(n));
    return { count, answers: await answers(chain.db, n) };
  };
  const whole = await rebuild(1);
  // Height 0 has no stored block, as the snapshot's own height has none on a joined node.
  const later = await rebuild(0);
  assert.is(later.count, chain.head.height);
  assert.equal(later.answers, whole.answers);
});

test.run();
