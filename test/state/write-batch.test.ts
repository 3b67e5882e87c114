import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BatchOp, openDb, writeBatch } from '../../state/store/db.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('writeBatch leaves the database as the public batch() does (puts, dels, overwrites, in order): property', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-writebatch-'));
  const [a, b] = [await openDb(join(dir, 'a')), await openDb(join(dir, 'b'))];
  try {
    const key = fc.uint8Array({ minLength: 1, maxLength: 3 }).map((k) => Uint8Array.of(0x76, ...k));
    const op = fc.oneof(
      fc.record({ type: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({ type: fc.constant('del' as const), key }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 30 }), { maxLength: 5 }), async (batches) => {
        for (const ops of batches) {
          await a.batch(ops as BatchOp[]);
          await writeBatch(b, ops as BatchOp[], true);
        }
        const all = async (db: typeof a) => (await db.iterator().all()).map(([k, v]) => `${hex(k)}=${hex(v)}`);
        assert.equal(await all(b), await all(a));
      }),
      { numRuns: 60 },
    );
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeBatch on a closed database is refused and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-writebatch-'));
  const db = await openDb(dir);
  await db.close();
  try {
    await writeBatch(db, [{ type: 'put', key: Uint8Array.of(0x76, 1), value: Uint8Array.of(1) }], true);
    assert.unreachable('a closed database must refuse the batch');
  } catch (e) {
    assert.match(String(e), /database is closed/);
  }
  const again = await openDb(dir);
  assert.equal(await again.keys().all(), []);
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
