import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BlockStat, spread, summarize } from '../../src/console/activity.js';

const A = '0xaa';
const B = '0xbb';
const C = '0xcc';
const block = (height: number, time: number, signers: string[], set = [A, B], round = 0, txs = 0): BlockStat => ({
  height,
  time,
  round,
  txs,
  signers,
  set,
});

test('a validator in the set but not in a certificate has that block as missed, newest first', () => {
  const a = summarize(
    [block(3, 3000, [A]), block(1, 1000, [A, B]), block(2, 2000, [A])],
    [
      { id: A, pubkey: '0x', power: 2 },
      { id: B, pubkey: '0x', power: 1 },
    ],
  );
  const b = a.validators.find((v) => v.id === B);
  assert.equal(b, { id: B, power: 1, due: 3, signed: 1, missed: [3, 2], lastSigned: 1 });
  assert.equal(a.validators.find((v) => v.id === A)?.missed, []);
});

test('a validator not yet in the set is not due (set changes counted per block)', () => {
  const a = summarize([block(1, 1000, [A], [A]), block(2, 2000, [A, C], [A, C])], [{ id: A, pubkey: '0x', power: 1 }]);
  assert.equal(
    a.validators.find((v) => v.id === C),
    { id: C, power: 0, due: 1, signed: 1, missed: [], lastSigned: 2 },
  );
});

test('blocks after round 0 are listed; intervals and tx/s skip a gap in heights', () => {
  const a = summarize(
    [block(1, 1000, [A]), block(2, 3000, [A], [A, B], 1, 4), block(4, 9000, [A], [A, B], 2, 1)],
    [{ id: A, pubkey: '0x', power: 1 }],
  );
  assert.equal(a.laterRounds, [
    { height: 4, round: 2 },
    { height: 2, round: 1 },
  ]);
  assert.equal(a.intervals, [{ height: 2, ms: 2000 }]);
  assert.equal(a.throughput, [{ height: 2, perSecond: 2 }]);
});

test('spread: median of odd and even series, zero for none', () => {
  assert.equal(spread([3, 1, 2]), { median: 2, max: 3 });
  assert.equal(spread([4, 1, 2, 3]), { median: 2.5, max: 4 });
  assert.equal(spread([]), { median: 0, max: 0 });
});

test.run();
