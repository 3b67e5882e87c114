/**
 * Shutdown (previous session's item (b)): close() waits for a running shred, including its
 * attestation submit, so the store is never closed under it; the receipt is in the store with the
 * deletes even if that submit never succeeds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { to0x, utf8 } from '../../src/codec/bytes.js';
import { VaultFixture } from './fake-chain.js';

test('close() waits for a running shred and its attestation submit', async () => {
  const f = await VaultFixture.create();
  const { record } = await f.storeRecord(utf8('allergy'));
  const p = f.chain.pointers.get(to0x(record));
  if (p !== undefined) p.erased = true;
  let release: (v: string) => void = () => {};
  let submitted = false;
  f.chain.submit = () =>
    new Promise<string>((r) => {
      submitted = true;
      release = r;
    });
  const shred = f.service.shred(record, '0x01', 3);
  while (!submitted) await new Promise((r) => setImmediate(r));
  // The receipt is already stored (same batch as the deletes), before any submit returns.
  assert.ok(await f.service.receipt(record));
  let closed = false;
  const closing = f.service.close().then(() => {
    closed = true;
  });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.not.ok(closed, 'close() returned while a shred was running');
  release('0xabc');
  await closing;
  assert.is((await shred)?.attestTx, '0xabc');
  await f.close();
});

test.run();
