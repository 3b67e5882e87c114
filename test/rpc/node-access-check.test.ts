/**
 * access_check decides exactly as the chain would: its fast path (the machine's coverage rule)
 * and the state machine's own ACCESS handler, dry-run on the same committed state, agree on every
 * (grantee, record, purpose) of a small chain with granted, revoked and missing consents.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildFixture, type Fixture } from '../../bench/rpc-node.bench.js';
import { decideAccess, runAccessHandler } from '../../rpc/api/access.js';
import { identityKey } from '../../state/domain/keys.js';
import { decodeIdentity } from '../../state/domain/values.js';

let f: Fixture;

test.before(async () => {
  f = await buildFixture({ flags: { patients: '60' }, log: () => {} });
});

test.after(async () => {
  await f?.close();
});

test('fast path and the ACCESS handler agree on every decision', () => {
  const purposes = [1, 2, 5];
  const seen = new Map<string, number>();
  const docs = f.practitioners.slice(0, 12);
  for (const p of f.patients)
    for (const doc of docs)
      for (const purpose of purposes) {
        const d = decideAccess(f.api, doc, p.record, 'read', purpose);
        const me = decodeIdentity(f.api.chain.store.get(identityKey(doc)) as Uint8Array);
        const h = runAccessHandler(f.api, doc, me.pubkey, p.id, p.record, purpose);
        assert.ok(typeof h !== 'string');
        assert.is(d.granted, h.attrs.granted, `granted ${d.code} vs ${String(h.attrs.code)}`);
        assert.is(d.code, (h.attrs.code as string | undefined) ?? null);
        assert.is(d.granted, d.consent !== null, 'a granted decision names its consent');
        const k = d.granted ? 'GRANTED' : (d.code as string);
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
  // The chain had each outcome at least once.
  for (const k of ['GRANTED', 'REVOKED', 'NO_CONSENT', 'PURPOSE_MISMATCH']) assert.ok((seen.get(k) ?? 0) > 0, k);
});

test('unknown grantee or record', () => {
  const p = f.patients[0] as Fixture['patients'][number];
  const doc = f.practitioners[0] as Uint8Array;
  assert.is(decideAccess(f.api, new Uint8Array(32), p.record, 'read', 1).code, 'UNKNOWN_IDENTITY');
  assert.is(decideAccess(f.api, doc, new Uint8Array(32).fill(9), 'read', 1).code, 'UNKNOWN_RECORD');
  assert.is(decideAccess(f.api, doc, p.record, 'write', 1).granted, false);
});

test.run();
