import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8 } from '../../src/codec/bytes.js';
import { EMPTY_ROOT } from '../../state/smt/node.js';
import { defaultStateStoreOptions, StateStore } from '../../state/state-store.js';
import { type BatchOp, openDb } from '../../state/store/db.js';

const dir = mkdtempSync(join(tmpdir(), 'medchain-prefetch-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function commit(
  store: StateStore,
  db: Awaited<ReturnType<typeof openDb>>,
  changes: Array<[string, string | null]>,
) {
  const staged = store.stage(changes.map(([k, v]) => ({ key: utf8(k), value: v === null ? null : utf8(v) })));
  const ops: BatchOp[] = [];
  store.writeOps(staged, ops);
  await db.batch(ops);
  store.advance(staged);
}

const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

test('a prefetch that races a commit never caches the value it read before the commit', async () => {
  const db = await openDb(join(dir, 'race'));
  // A tiny cache: the committed value is evicted again before the prefetch lands.
  const store = new StateStore(db, EMPTY_ROOT, { ...defaultStateStoreOptions, valueCacheEntries: 4 });
  await commit(store, db, [['k', 'old']]);
  const fresh = new StateStore(db, store.root, { ...defaultStateStoreOptions, valueCacheEntries: 4 });
  const pending = fresh.prefetch([utf8('k')]);
  // Commit a new value while the batched read is in flight, then churn the cache.
  const staged = fresh.stage([{ key: utf8('k'), value: utf8('new') }]);
  const ops: BatchOp[] = [];
  fresh.writeOps(staged, ops);
  const write = db.batch(ops);
  fresh.advance(staged);
  for (let i = 0; i < 10; i++) fresh.get(utf8(`other${i}`));
  await Promise.all([pending, write]);
  assert.is(text(fresh.get(utf8('k'))), 'new');
  await db.close();
});

test('property: reads after any interleaving of prefetches and commits equal a plain Map model', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({
            op: fc.constant('commit' as const),
            key: fc.integer({ min: 0, max: 5 }),
            value: fc.option(fc.integer({ min: 0, max: 9 })),
          }),
          fc.record({
            op: fc.constant('prefetch' as const),
            keys: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
          }),
          fc.record({ op: fc.constant('settle' as const) }),
        ),
        { maxLength: 30 },
      ),
      async (steps) => {
        const db = await openDb(join(dir, `p${run++}`));
        const store = new StateStore(db, EMPTY_ROOT, { ...defaultStateStoreOptions, valueCacheEntries: 3 });
        const model = new Map<string, string>();
        const inflight: Promise<unknown>[] = [];
        try {
          for (const s of steps) {
            if (s.op === 'commit') {
              const k = `k${s.key}`;
              const v = s.value === null ? null : `v${s.value}`;
              if (v === null) model.delete(k);
              else model.set(k, v);
              // Commits are sequential, as in ChainState (batch durable, then advance);
              // prefetches started earlier stay in flight across them.
              await commit(store, db, [[k, v]]);
            } else if (s.op === 'prefetch') inflight.push(store.prefetch(s.keys.map((k) => utf8(`k${k}`))));
            else await Promise.all(inflight.splice(0));
          }
          await Promise.all(inflight);
          for (let i = 0; i <= 5; i++) if (text(store.get(utf8(`k${i}`))) !== model.get(`k${i}`)) return false;
          return true;
        } finally {
          await db.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('advance drops the tree nodes it replaced from the node cache, and keeps the new ones', async () => {
  const db = await openDb(join(dir, 'node-cache'));
  const store = new StateStore(db, EMPTY_ROOT);
  await commit(store, db, [
    ['a', '1'],
    ['b', '2'],
  ]);
  const oldRoot = store.root;
  await commit(store, db, [['a', '3']]);
  let reads = 0;
  const getSync = db.getSync.bind(db);
  db.getSync = ((k: Uint8Array) => {
    reads++;
    return getSync(k);
  }) as typeof db.getSync;
  assert.ok(store.getNode(store.root) !== undefined);
  assert.is(reads, 0, 'the new root is served from the cache');
  // The replaced root is still stored (pruning removes it later), but no longer cached.
  assert.ok(store.getNode(oldRoot) !== undefined);
  assert.is(reads, 1);
  await db.close();
});

test.run();
