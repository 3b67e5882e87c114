/**
 * Erasure removes bytes from disk (issue #12 finding 9): after a shred, no file of the vault's
 * database directory holds the ciphertext or any wrapped key (the data key and the plaintext were
 * never there). Unanchored uploads are collected after the grace period.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { to0x, utf8 } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { signedHeader, VaultFixture } from './fake-chain.js';

const test = suite<{ f: VaultFixture }>('vault erasure on disk');

test.before.each(async (ctx) => {
  ctx.f = await VaultFixture.create({ unanchoredGraceMs: 60_000 });
});
test.after.each(async (ctx) => {
  await ctx.f.close();
});

/** The needles found in any file of `dir` (every byte of every file, read raw). */
function scan(dir: string, needles: Uint8Array[]): number {
  let found = 0;
  for (const name of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, name));
    for (const n of needles) if (bytes.indexOf(Buffer.from(n)) >= 0) found++;
  }
  return found;
}

test('after a shred no database file holds the ciphertext or a wrapped key', async ({ f }) => {
  const plaintext = utf8(`{"resourceType":"AllergyIntolerance","code":"peanut-${Date.now()}"}`.repeat(40));
  const { record, blob, key } = await f.storeRecord(plaintext);
  const wraps = [f.patient.id, f.org.id].map((id) => f.store.getWrap(record, id)?.wrapped as Uint8Array);
  const needles = [blob.subarray(0, 64), blob.subarray(blob.length - 64), ...wraps];
  // The scan sees what is there: before erasure the ciphertext and keys are on disk.
  assert.ok(scan(f.dir, needles) >= needles.length, 'the scan finds the stored bytes');
  const p = f.chain.pointers.get(to0x(record));
  if (p !== undefined) p.erased = true;
  const receipt = await f.service.shred(record, '0x01', 7);
  assert.ok(receipt);
  assert.is(scan(f.dir, [...needles, plaintext.subarray(0, 64), key]), 0);
  // The receipt was written in the same batch as the deletes.
  assert.is(JSON.parse((await f.service.receipt(record)) as string).record, to0x(record));
});

test('interleaved uploads and shreds: every shredded blob and key leaves the files, kept ones stay', async ({ f }) => {
  const needlesOf = (r: { record: Uint8Array; blob: Uint8Array }): Uint8Array[] => [
    r.blob.subarray(0, 64),
    f.store.getWrap(r.record, f.org.id)?.wrapped as Uint8Array,
  ];
  const gone: Uint8Array[] = [];
  const kept: Uint8Array[] = [];
  const later: Uint8Array[] = [];
  for (let i = 0; i < 24; i++) {
    const r = await f.storeRecord(utf8(`record ${i} `.repeat(100)));
    const n = needlesOf(r);
    if (i % 3 === 0) {
      await f.service.shred(r.record, '0x01', i);
      gone.push(...n);
    } else if (i % 3 === 1) {
      later.push(r.record);
      gone.push(...n);
    } else kept.push(r.record);
  }
  // Records shredded long after upload, under many later writes.
  for (const r of later) await f.service.shred(r, '0x02', 99);
  assert.is(scan(f.dir, gone), 0);
  // Kept records are whole (read through the store: where LevelDB keeps their bytes is its business).
  for (const r of kept) {
    const meta = f.store.getMeta(r);
    assert.ok(meta && (await f.store.getBlob(meta.locator, meta.size)) !== undefined, 'kept blob');
    assert.ok(f.store.getWrap(r, f.org.id), 'kept key');
  }
});

test('an upload never anchored on chain is collected after the grace period; anchored ones stay', async ({ f }) => {
  const kept = await f.storeRecord(utf8('anchored'));
  const lone = crypto.getRandomValues(new Uint8Array(32));
  const blob = utf8('never anchored');
  const p = f.patient;
  await f.service.put(signedHeader(p, f.org.id, 'put', lone, p.id, sha256(blob), '', f.clock.now), lone, blob);
  assert.is(await f.service.collectUnanchored(), 0, 'young uploads stay');
  f.clock.now += 61_000;
  assert.is(await f.service.collectUnanchored(), 1);
  assert.is(f.store.getMeta(lone), undefined);
  assert.ok(f.store.getMeta(kept.record));
  assert.is(f.store.uploadedBy(p.id), f.store.getMeta(kept.record)?.size);
});

test.run();
