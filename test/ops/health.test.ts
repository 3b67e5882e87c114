import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseThresholds, readiness } from '../../src/ops/health.js';
import { defaultReadyThresholds } from '../../src/ops/options.js';

const t = { minPeers: 1, maxBlocksBehind: 5, maxStallSeconds: 30 };
const base = { headHeight: 100, peers: 3, bestPeerHeight: 102, lastProgressAt: 0, now: 10_000 };

test('ready with peers, close to the best peer and committing', () => {
  const r = readiness(base, t);
  assert.ok(r.ready);
  assert.equal(r.reasons, []);
  assert.is(r.behind, 2);
});

test('TOO_FEW_PEERS when peers are lost', () => {
  assert.equal(readiness({ ...base, peers: 0, bestPeerHeight: null }, t).reasons, ['TOO_FEW_PEERS']);
});

test('BEHIND when more than maxBlocksBehind under the best peer height', () => {
  assert.equal(readiness({ ...base, bestPeerHeight: 106 }, t).reasons, ['BEHIND']);
});

test('STALLED when nothing was committed for maxStallSeconds (an idle chain still commits heartbeats)', () => {
  assert.equal(readiness({ ...base, now: 31_000 }, t).reasons, ['STALLED']);
});

test('a single validator with no configured peers needs none; the stall bound follows the heartbeat', () => {
  assert.is(defaultReadyThresholds(0, 2000).minPeers, 0);
  assert.is(defaultReadyThresholds(3, 2000).minPeers, 1);
  assert.is(defaultReadyThresholds(3, 10_000).maxStallSeconds, 100);
});

test('thresholds from query parameters; unknown or malformed ones are errors', () => {
  assert.equal(parseThresholds(new URLSearchParams('minPeers=3&maxBlocksBehind=0'), t), {
    ...t,
    minPeers: 3,
    maxBlocksBehind: 0,
  });
  assert.type(parseThresholds(new URLSearchParams('minPeers=-1'), t), 'string');
  assert.type(parseThresholds(new URLSearchParams('minPeers=1e3'), t), 'string');
  assert.type(parseThresholds(new URLSearchParams('maxStallSeconds=99999999999'), t), 'string');
  assert.type(parseThresholds(new URLSearchParams('bogus=1'), t), 'string');
});

test.run();
