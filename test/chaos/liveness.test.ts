/** The end-of-run liveness check: silent nodes are failures (never height 0), nodes still down are brought back. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bringBack,
  headsByName,
  type LivenessNet,
  livenessTarget,
  remember,
  shortOf,
} from '../../bench/chaos/liveness.js';
import type { NodeState } from '../../bench/chaos/net.js';
import { median } from '../../bench/chaos/run.js';

const names = ['node0', 'node1', 'node2', 'full'];

test('a node that does not answer fails the check by name, with its last reported height', () => {
  const last = remember([], [9, 7, 9, 9]);
  const now: (number | undefined)[] = [12, undefined, 12, 12];
  assert.equal(shortOf(names, now, 11, remember(last, now)), ['node1 did not answer (last reported height 7)']);
});

test('a node behind the target is named with its height', () => {
  assert.equal(shortOf(names, [12, 12, 4, 12], 11), ['node2 at height 4 < 11']);
});

test('the target comes only from nodes that answered; none answering gives no target', () => {
  assert.is(livenessTarget([undefined, 5, undefined, 3]), 7);
  assert.is(livenessTarget([undefined, undefined]), undefined);
});

test('the summary heights say null for a silent node, not 0', () => {
  assert.equal(headsByName(names, [3, undefined, 0, 3]), { node0: 3, node1: null, node2: 0, full: 3 });
});

test('property: nothing is short exactly when every node answered at or above the target', () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.nat(50), { nil: undefined }), { minLength: 1, maxLength: 6 }),
      fc.nat(50),
      (hs, t) => {
        const ns = hs.map((_, i) => `n${i}`);
        const short = shortOf(ns, hs, t);
        assert.is(
          short.length === 0,
          hs.every((h) => h !== undefined && h >= t),
        );
        assert.is(short.length, hs.filter((h) => h === undefined || h < t).length);
      },
    ),
  );
});

test('nodes still paused, cut or down at the end are brought back; nodes up are left alone', async () => {
  const calls: string[] = [];
  const state = (s: NodeState, skewMs = 0) => ({ state: s, skewMs });
  const net: LivenessNet = {
    nodes: [state('up'), state('paused'), state('cut'), state('killed', -300), state('stopping')].map((n, i) => ({
      ...n,
      name: `node${i}`,
    })),
    kill: async (i) => {
      calls.push(`kill ${i}`);
    },
    start: (i, skew) => calls.push(`start ${i} ${skew}`),
    resume: (i) => calls.push(`resume ${i}`),
    heal: (i) => calls.push(`heal ${i}`),
  };
  const did = await bringBack(net);
  assert.equal(calls, ['resume 1', 'heal 2', 'kill 3', 'start 3 -300', 'kill 4', 'start 4 0']);
  assert.is(did.length, 4);
  assert.match(did[2] as string, 'node3 was killed');
});

test('recovery medians: the middle of an odd count, the mean of the two middle ones of an even count', () => {
  assert.is(median([36_293, 19_600]), 27_946.5);
  assert.is(median([5, 1, 3]), 3);
  assert.is(median([]), 0);
});

test.run();
