/** The readable chaos summary: what was injected, what never was, and silent nodes named as such. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { summaryLines } from '../../bench/chaos/report.js';
import type { ChaosSummary } from '../../bench/chaos/run.js';

const base: ChaosSummary = {
  seed: 7,
  validators: 4,
  seconds: 600,
  rate: 10,
  faults: { kill: 3, disk: 0 },
  skipped_faults: 2,
  peak_faulty: 1,
  max_faulty: 1,
  quorum_losses: 0,
  double_signs: 0,
  full_node_height: null,
  vault: { disclosures: 4, failed: 0 },
  longest_stall_ms: 4200,
  round_changes: 3,
  recovery_ms: { kill: { count: 3, median: 2500, max: 4000 } },
  liveness_ms: 1500,
  height: 90,
  heights: { node0: 90, full: null },
  heights_compared: 90,
  txs: { submitted: 10, refused: 0, unconfirmed: 1, acknowledged: 9, found_on_every_node: 9 },
  rss_peak_mb: [100, 100],
  crashes: 0,
  violations: [],
};

test('the summary names faults by kind, kinds never injected, the stall, recoveries and txs found', () => {
  const text = summaryLines(base).join('\n');
  assert.match(text, 'faults injected: kill 3, disk 0');
  assert.match(text, 'never injected (earlier faults still recovering): disk');
  assert.match(text, 'longest stall: 4.2 s');
  assert.match(text, 'kill median 2.5 s max 4.0 s (3)');
  assert.match(text, 'heights at the end: node0 90, full silent');
  assert.match(text, '9 acknowledged final, 9 of them found on every node');
  assert.match(text, 'PASS');
});

test('a summary with violations says FAIL with their count', () => {
  assert.match(summaryLines({ ...base, violations: ['a', 'b'] }).join('\n'), 'FAIL: 2 violations');
});

test.run();
