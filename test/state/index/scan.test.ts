import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { u32be } from '../../../src/codec/bytes.js';
import { Action, ALL_TYPES_MASK, Purpose, TxKind } from '../../../src/tx/kinds.js';
import {
  accessesByRecord,
  disclosures,
  type IndexEntry,
  type IndexPage,
  MAX_SCAN,
  mergePages,
} from '../../../state/index/query.js';
import { type Actor, expectOk, rid, TestChain, YEAR } from '../domain/helpers.js';

test('a filtered page visits at most its scan budget; following cursors finds every match once', async () => {
  const c = await TestChain.open();
  try {
    const alice = await c.registerPatient('alice');
    const dr = await c.registerPractitioner('dr');
    expectOk(await c.addRecord(alice, alice, 'busy'));
    expectOk(await c.addRecord(alice, alice, 'rare'));
    expectOk(
      await c.run(
        c.tx(TxKind.GRANT_CONSENT, alice, {
          patient: alice.id,
          grantee: dr.id,
          records: [],
          types: ALL_TYPES_MASK,
          actions: Action.READ,
          purposes: 1 << Purpose.TREAT,
          notBefore: 0,
          expiresAt: c.time + YEAR,
        }),
      ),
    );
    const read = (who: Actor, name: string, n: number) =>
      c.tx(
        TxKind.ACCESS,
        who,
        { patient: alice.id, records: [rid(name)], purpose: Purpose.TREAT },
        { nonce: u32be(1e6 + n) },
      );
    let n = 0;
    expectOk(await c.run(read(dr, 'rare', n++)));
    for (let b = 0; b < 6; b++) await c.block(Array.from({ length: 50 }, () => read(dr, 'busy', n++)));
    expectOk(await c.run(read(dr, 'rare', n++)));
    const history = (await disclosures(c.db, alice.id, { limit: 1000 })).entries.length;
    assert.ok(history > 300);
    for (const reverse of [false, true]) {
      const found: IndexEntry[] = [];
      let cursor: Uint8Array | null = null;
      let pages = 0;
      do {
        const page: IndexPage = await accessesByRecord(c.db, rid('rare'), { limit: 10, maxScan: 40, cursor, reverse });
        assert.ok(page.scanned <= 40, `visited ${page.scanned}`);
        found.push(...page.entries);
        cursor = page.cursor;
        pages++;
      } while (cursor !== null && pages < 100);
      assert.is(found.length, 2, 'both accesses to the rare record');
      assert.ok(found[0]?.height !== found[1]?.height);
    }
    // the default budget bounds an unbounded filter too
    const one = await accessesByRecord(c.db, rid('rare'), { limit: 1 });
    assert.ok(one.scanned <= MAX_SCAN);
  } finally {
    await c.close();
  }
});

const at = (height: number): IndexEntry => ({
  time: 1000 + height,
  height,
  receipt: 0,
  seq: 0,
  type: 'access',
  txHash: new Uint8Array(32),
  attrs: {},
});
const cursorAt = (height: number): Uint8Array => {
  const c = new Uint8Array(22);
  const dv = new DataView(c.buffer);
  dv.setUint32(4, 1000 + height);
  dv.setUint32(12, height);
  return c;
};

test('merged pages stop where the first source stopped: no entry of a budget-stopped index is skipped', () => {
  // index A ran out of budget at height 5 having found nothing; index B is done with 7 and 8
  const a: IndexPage = { entries: [], cursor: cursorAt(5), scanned: 40 };
  const b: IndexPage = { entries: [at(7), at(8)], cursor: null, scanned: 2 };
  const m = mergePages([a, b], 10);
  assert.equal(m.entries, []);
  assert.equal(m.cursor, cursorAt(5));
  // both done: everything, in order, once
  const done = mergePages(
    [
      { entries: [at(1), at(3)], cursor: null, scanned: 2 },
      { entries: [at(2), at(3)], cursor: null, scanned: 2 },
    ],
    10,
  );
  assert.equal(
    done.entries.map((e) => e.height),
    [1, 2, 3],
  );
  assert.is(done.cursor, null);
  // a full page bounds the merge at its last entry; the limit cuts inside
  const full = mergePages(
    [
      { entries: [at(1), at(2), at(4)], cursor: cursorAt(4), scanned: 3 },
      { entries: [at(3), at(9)], cursor: null, scanned: 2 },
    ],
    3,
  );
  assert.equal(
    full.entries.map((e) => e.height),
    [1, 2, 3],
  );
  assert.equal(full.cursor, cursorAt(3));
});

test.run();
