import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCounts, perTx, phaseMeans } from '../../bench/e2e/counts.js';

const page = (verifies: number, admitted: number, commitSum: number, commits: number): string =>
  [
    '# HELP medchain_verifier_items_total x',
    `medchain_verifier_items_total ${verifies}`,
    `medchain_mempool_admissions_total{result="admitted"} ${admitted}`,
    `medchain_consensus_height_phase_seconds_bucket{le="1",phase="committed"} ${commits}`,
    `medchain_consensus_height_phase_seconds_sum{phase="committed"} ${commitSum}`,
    `medchain_consensus_height_phase_seconds_count{phase="committed"} ${commits}`,
    `medchain_consensus_height_phase_seconds_sum{phase="prevote"} 0.5`,
    `medchain_consensus_height_phase_seconds_count{phase="prevote"} 5`,
  ].join('\n');

test('e2e counts: verifies and offers per finalized tx, and mean phase times of the heights in the window', () => {
  const a = parseCounts(page(100, 90, 2.5, 5));
  const b = parseCounts(page(400, 390, 14.5, 15));
  assert.equal(perTx(a, b, 300), { verifies_per_tx_count: 1, offered_per_tx: { admitted: 1, all: 1 } });
  // 10 heights committed in the window, 12 s in all: 1,200 ms each; no prevote in the window.
  assert.equal(phaseMeans(a, b), { committed: 1200 });
  assert.is(phaseMeans(a, undefined), undefined);
});

test.run();
