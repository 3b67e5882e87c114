/** The console's plain-language helpers and its CSV export's field encoding (no spreadsheet formulas). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { csvField } from '../../src/console/accounting.js';
import { duration, isHexId, purposeWords, reasonWords, shortId } from '../../src/console/format.js';

test('csvField quotes, doubles quotes, and defuses formulas', () => {
  assert.is(csvField('Hospital A'), '"Hospital A"');
  assert.is(csvField('say "hi"'), '"say ""hi"""');
  assert.is(csvField('a,b\nc'), '"a,b\nc"');
  for (const f of ['=HYPERLINK("http://x")', '+1', '-1+2', '@SUM(A1)', '\t=1'])
    assert.ok(csvField(f).startsWith(`"'`), f);
  assert.is(csvField(null), '""');
  assert.is(csvField(42), '"42"');
  assert.is(csvField(true), '"true"');
});

test('purposes and denial reasons in words; unknown codes pass through', () => {
  assert.is(purposeWords('TREAT'), 'treatment');
  assert.is(purposeWords('HRESCH'), 'research');
  assert.is(purposeWords('NEWCODE'), 'NEWCODE');
  assert.is(reasonWords('REVOKED'), 'consent revoked');
  assert.is(reasonWords('SOME_CODE'), 'some_code');
});

test('ids shortened, durations rounded, ids recognized', () => {
  const id = `0x${'ab'.repeat(32)}`;
  assert.is(shortId(id), '0xabab…abab');
  assert.is(shortId('0x12'), '0x12');
  assert.is(duration(5 * 60_000), '5 min');
  assert.is(duration(47 * 3_600_000), '47 h');
  assert.is(duration(72 * 3_600_000), '3 days');
  assert.ok(isHexId(id));
  assert.not.ok(isHexId('0x12'));
  assert.not.ok(isHexId(`${id}00`));
});

test.run();
