/**
 * CI's short fuzz campaign: a couple of seconds per target, fixed seed (FUZZ_SEED
 * overrides it), the same properties as `npm run fuzz`. Each campaign must also
 * have accepted and rejected inputs, so it reached past the first check.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCampaign } from '../../bench/fuzz/engine.js';
import { allTargets } from '../../bench/fuzz/registry.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 2);

for (const t of allTargets()) {
  test(`fuzz ${t.name}: no crash, coded rejections, canonical round trip (seed ${SEED})`, async () => {
    try {
      const r = await runCampaign(t, { inputs: 1_000_000, seed: SEED, maxInputMs: 1000, maxSeconds: SECONDS });
      const f = r.failures[0];
      assert.ok(
        f === undefined,
        f &&
          `${f.kind} at #${f.index}: ${f.detail}; replay: npm run fuzz -- --target ${t.name} --seed ${SEED} --only ${f.index}`,
      );
      assert.ok(r.inputs >= 200, `only ${r.inputs} inputs`);
      assert.ok(r.accepted > 0, 'some inputs accepted');
      if (t.name !== 'rpc') assert.ok(r.rejected > 0, 'some inputs rejected');
    } finally {
      await t.close?.();
    }
  });
}

test.run();
