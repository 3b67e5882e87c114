/**
 * Clock skew: a node started with MEDCHAIN_CLOCK_OFFSET_MS runs its consensus clock that far off
 * (the chaos harness skews validators within the chain's maxClockDriftMs; the prevote rule that
 * bounds it is tested in test/consensus/block-time.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isCoded } from '../../src/errors.js';
import { CLOCK_OFFSET_ENV, ConfigErrorCode, clockOffsetFromEnv } from '../../src/node/config.js';
import { soloNet, waitHeight } from './solo.js';

test('clock offset: unset is 0; an integer within ±1 h is taken as is', () => {
  assert.is(clockOffsetFromEnv({}), 0);
  assert.is(clockOffsetFromEnv({ [CLOCK_OFFSET_ENV]: '' }), 0);
  assert.is(clockOffsetFromEnv({ [CLOCK_OFFSET_ENV]: '-4000' }), -4000);
  assert.is(clockOffsetFromEnv({ [CLOCK_OFFSET_ENV]: '3600000' }), 3_600_000);
});

test('clock offset: anything else is CONFIG_INVALID (the node does not start)', () => {
  for (const v of ['abc', '1.5', '1e3', '3600001', '-99999999', ' 5', '0x10'])
    try {
      clockOffsetFromEnv({ [CLOCK_OFFSET_ENV]: v });
      assert.unreachable(v);
    } catch (err) {
      assert.ok(isCoded(err, ConfigErrorCode.INVALID), `${v}: ${String(err)}`);
    }
});

test('clock offset: a validator started with it proposes blocks timed by the shifted clock', async () => {
  const OFFSET = 20 * 60_000; // far beyond any scheduling delay of a loaded machine
  const net = await soloNet();
  try {
    net.start(0, OFFSET);
    const s = await waitHeight(net, 3);
    const ahead = s.headTime - Date.now();
    assert.ok(ahead > OFFSET / 2, `head time is ${ahead} ms ahead of the wall clock, expected about ${OFFSET}`);
  } finally {
    await net.close();
  }
});

test.run();
