/**
 * consensus.scale counts what a healthy network sends per finalized block:
 * one proposal to n-1 peers, then a prevote and a precommit from each of n
 * validators to n-1 peers, (2n + 1)(n - 1) messages; the certificate grows
 * with n. Small sets only (real signatures).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchmarks } from '../../bench/consensus.bench.js';

test('consensus.scale: (2n+1)(n-1) messages per block in round 0, bytes and certificate growing with n', async () => {
  const b = benchmarks.find((x) => x.id === 'consensus.scale');
  assert.ok(b, 'registered');
  const r = await b.run({ flags: { validators: '1,4,7', heights: '2' }, log: () => {} });
  const curve = r.curve as {
    validators: number;
    messages_per_block: number;
    kib_per_block: number;
    cert_bytes: number;
  }[];
  assert.equal(
    curve.map((c) => c.validators),
    [1, 4, 7],
  );
  for (const c of curve) assert.is(c.messages_per_block, (2 * c.validators + 1) * (c.validators - 1));
  assert.ok((curve[2]?.kib_per_block ?? 0) > (curve[1]?.kib_per_block ?? 0));
  assert.ok((curve[2]?.cert_bytes ?? 0) > (curve[1]?.cert_bytes ?? 0));
});

test.run();
