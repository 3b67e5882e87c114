import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loud } from './hooks.js';

test('a failing before hook is named on stderr and fails the process (uvu alone exits 0)', async () => {
  const write = process.stderr.write;
  let said = '';
  process.stderr.write = ((s: string) => {
    said += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    await loud('cli/records', () => {
      throw new Error('timed out waiting for node0 at height 1');
    })({});
    assert.unreachable('rethrown');
  } catch (err) {
    assert.match(String(err), /height 1/);
  } finally {
    process.stderr.write = write;
  }
  assert.match(said, /FAIL {2}cli\/records: before hook: Error: timed out waiting for node0/);
  assert.is(process.exitCode, 1);
  process.exitCode = 0;
});

test.run();
