/** The node's and the vault's logger: JSON lines without a duplicated `time`, or short lines for a person. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger, formatLogLine } from '../../src/node/logger.js';

const sink = () => {
  const lines: string[] = [];
  return { lines, write: (l: string) => void lines.push(l) };
};

test('a logged field named time becomes at: one time key per JSON line', () => {
  const d = sink();
  createLogger('info', { module: 'vault' }, { destination: d }).warn({ time: 1234, code: 'VAULT_DENIED' }, 'refused');
  assert.is(d.lines.length, 1);
  const line = d.lines[0] as string;
  assert.is(line.match(/"time":/g)?.length, 1, line);
  const j = JSON.parse(line);
  assert.is(j.at, 1234);
  assert.match(j.time, /^\d{4}-\d\d-\d\dT/);
  assert.is(j.module, 'vault');
});

test('pretty: the short line the devnet prints for a node', () => {
  const d = sink();
  createLogger('info', { module: 'vault' }, { pretty: true, destination: d }).warn({ time: 1234 }, 'refused');
  assert.match(d.lines[0] as string, /^vault\s+\d\d:\d\d:\d\d\.\d{3} WARN {2}\[vault\] refused at=1234\n$/);
});

test('formatLogLine prints the node line the devnet prints; a non-JSON line passes through', () => {
  const line = JSON.stringify({
    level: 30,
    time: '2026-11-21T12:04:32.313Z',
    module: 'consensus',
    msg: 'committed',
    height: 8,
  });
  assert.is(formatLogLine('node0', line), 'node0  12:04:32.313 INFO  [consensus] committed height=8');
  assert.is(formatLogLine('node0', 'TypeError: x'), 'node0  TypeError: x');
});

test.run();
