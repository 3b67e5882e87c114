/**
 * The read log (rpc/api/read-log.ts): every read reaches the log with its caller, role, method and
 * subject ids, one line per caller per job; a long synchronous loop cannot hold reads back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadLog } from '../../rpc/api/read-log.js';
import { type Caller, OPERATOR, type Session } from '../../rpc/auth/caller.js';
import type { RpcLogger } from '../../rpc/logger.js';

type Line = {
  obj: { caller: string; role: string; at: number; reads: { read: string; subject: Record<string, string> }[] };
  msg: string;
};

function sink(): { logger: RpcLogger; lines: Line[] } {
  const lines: Line[] = [];
  const quiet = () => {};
  return {
    lines,
    logger: { error: quiet, warn: quiet, debug: quiet, info: (obj, msg) => lines.push({ obj, msg } as Line) },
  };
}

const patient = (idHex: string): Caller => ({ kind: 'identity', session: { idHex, role: 'patient' } as Session });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a batch of reads is one line per caller, written before the job yields to I/O', async () => {
  const { logger, lines } = sink();
  const log = new ReadLog(logger, () => 1234);
  const alice = patient('0xa1');
  for (let i = 0; i < 100; i++) log.add(alice, 'access_check', { record: `0x${i}` });
  log.add(OPERATOR, 'audit_query', { patient: '0xa1' });
  // Nothing written while the batch is still being handled.
  assert.is(lines.length, 0);
  await Promise.resolve();
  assert.is(lines.length, 2);
  const [a, op] = lines;
  assert.equal(a?.msg, 'rpc: personal data read');
  assert.equal({ ...a?.obj, reads: a?.obj.reads.length }, { caller: '0xa1', role: 'patient', at: 1234, reads: 100 });
  assert.equal(a?.obj.reads[7], { read: 'access_check', subject: { record: '0x7' } });
  assert.equal(op?.obj, {
    caller: 'operator',
    role: 'operator',
    at: 1234,
    reads: [{ read: 'audit_query', subject: { patient: '0xa1' } }],
  });
  await tick();
  assert.is(lines.length, 2, 'written once');
});

test('reads are not held without bound: a full buffer is written at once', () => {
  const { logger, lines } = sink();
  const log = new ReadLog(logger);
  const alice = patient('0xa1');
  for (let i = 0; i < 5000; i++) log.add(alice, 'access_check', {});
  assert.ok(lines.length >= 4, `${lines.length} lines written synchronously`);
  assert.ok(lines.every((l) => l.obj.reads.length <= 1024));
});

test('every read is written exactly once, in order, across flushes', async () => {
  const { logger, lines } = sink();
  const log = new ReadLog(logger);
  const alice = patient('0xa1');
  for (let i = 0; i < 3000; i++) {
    log.add(alice, 'access_check', { record: String(i) });
    if (i % 700 === 0) await Promise.resolve();
  }
  await tick();
  const seen = lines.flatMap((l) => l.obj.reads.map((r) => r.subject.record));
  assert.equal(
    seen,
    Array.from({ length: 3000 }, (_, i) => String(i)),
  );
});

test('a logger without info: nothing is gathered', () => {
  const log = new ReadLog({ error: () => {}, warn: () => {}, debug: () => {} });
  assert.is(log.enabled, false);
});

test.run();
