/**
 * The read log (rpc/api/read-log.ts): every read reaches the log with its caller, role, method and
 * subject ids, one line per caller per job; a long synchronous loop cannot hold reads back.
 */
import { Type } from '@sinclair/typebox';
import fc from 'fast-check';
import pino from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eachRead, idParamsOf, type MethodReads, ReadLog } from '../../rpc/api/read-log.js';
import { type Caller, OPERATOR, type Session } from '../../rpc/auth/caller.js';
import { infoLineWriter, isoTimeField, type RpcLogger } from '../../rpc/logger.js';
import { Bytes0x, Hash32 } from '../../rpc/schema.js';
import { createLogger } from '../../src/node/logger.js';

type Line = {
  obj: { caller: string; role: string; at: number; reads: Record<string, MethodReads> };
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
  for (let i = 0; i < 100; i++) log.add(alice, 'access_check', { record: `0x${i}`, action: 'read' });
  log.add(OPERATOR, 'audit_query', { patient: '0xa1', page: { limit: 5 } });
  // Nothing written while the batch is still being handled.
  assert.is(lines.length, 0);
  await Promise.resolve();
  assert.is(lines.length, 2);
  const [a, op] = lines;
  assert.equal(a?.msg, 'rpc: personal data read');
  assert.equal(a?.obj, {
    caller: '0xa1',
    role: 'patient',
    at: 1234,
    reads: { access_check: { calls: 100, record: Array.from({ length: 100 }, (_, i) => `0x${i}`) } },
  });
  // Only id params, never other values.
  assert.equal(op?.obj, {
    caller: 'operator',
    role: 'operator',
    at: 1234,
    reads: { audit_query: { calls: 1, patient: ['0xa1'] } },
  });
  await tick();
  assert.is(lines.length, 2, 'written once');
});

test('columns stay aligned by call: null where a call named no such id; over-long strings are not ids', async () => {
  const { logger, lines } = sink();
  const log = new ReadLog(logger, () => 1);
  const alice = patient('0xa1');
  log.add(alice, 'audit_query', { grantee: '0xg1' });
  log.add(alice, 'audit_query', { patient: '0xp2' });
  log.add(alice, 'audit_query', { grantee: '0xg3', patient: `0x${'0'.repeat(200)}` });
  log.add(alice, 'consent_get', { id: '0xc4' });
  await Promise.resolve();
  assert.equal(lines[0]?.obj.reads, {
    audit_query: { calls: 3, grantee: ['0xg1', null, '0xg3'], patient: [null, '0xp2', null] },
    consent_get: { calls: 1, id: ['0xc4'] },
  });
  assert.equal(eachRead(lines[0]?.obj.reads ?? {}), [
    { read: 'audit_query', subject: { grantee: '0xg1' } },
    { read: 'audit_query', subject: { patient: '0xp2' } },
    { read: 'audit_query', subject: { grantee: '0xg3' } },
    { read: 'consent_get', subject: { id: '0xc4' } },
  ]);
});

test("with a method's id params: a param no call named gets no column, one some calls named has null holes", async () => {
  const ids = idParamsOf([
    { name: 'patient', schema: Hash32() },
    { name: 'record', schema: Hash32() },
    { name: 'grantee', schema: Hash32() },
  ]);
  for (const byHand of [false, true]) {
    const s = byHand ? pinoSink() : undefined;
    const plain = sink();
    const log = new ReadLog(s?.logger ?? plain.logger, () => 1);
    const alice = patient(hex(0xa1));
    log.add(alice, 'audit_query', { grantee: hex(1) }, ids);
    log.add(alice, 'audit_query', { patient: hex(2) }, ids);
    log.add(alice, 'audit_query', { grantee: hex(3) }, ids);
    await Promise.resolve();
    const reads = (s === undefined ? plain.lines[0]?.obj.reads : (s.lines[0] as { reads: unknown }).reads) as Record<
      string,
      MethodReads
    >;
    assert.equal(reads, { audit_query: { calls: 3, patient: [null, hex(2), null], grantee: [hex(1), null, hex(3)] } });
  }
});

test('reads are not held without bound: a full buffer is written at once', () => {
  const { logger, lines } = sink();
  const log = new ReadLog(logger);
  const alice = patient('0xa1');
  for (let i = 0; i < 5000; i++) log.add(alice, 'access_check', {});
  assert.ok(lines.length >= 4, `${lines.length} lines written synchronously`);
  assert.ok(lines.every((l) => (l.obj.reads.access_check?.calls ?? 0) <= 1024));
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
  const seen = lines.flatMap((l) => eachRead(l.obj.reads).map((r) => r.subject.record));
  assert.equal(
    seen,
    Array.from({ length: 3000 }, (_, i) => String(i)),
  );
});

test('a logger without info: nothing is gathered', () => {
  const log = new ReadLog({ error: () => {}, warn: () => {}, debug: () => {} });
  assert.is(log.enabled, false);
});

/** The node's own logger (pino, JSON lines) writing to an array. */
function pinoSink(level = 'info'): { logger: RpcLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const root = createLogger(level, { node: 'n0' }, { destination: { write: (l) => void lines.push(JSON.parse(l)) } });
  return { lines, logger: root.child({ module: 'rpc' }) as unknown as RpcLogger };
}

const hex = (i: number) => `0x${i.toString(16).padStart(64, '0')}`;

test('on the node logger, a hand-written line parses to what pino writes, hex columns and escaped ones alike', async () => {
  const ids = idParamsOf([
    { name: 'grantee', schema: Hash32() },
    { name: 'record', schema: Hash32() },
    { name: 'action', schema: Type.String() },
  ]);
  const fill = (log: ReadLog) => {
    const alice = patient(hex(0xa1));
    for (let i = 0; i < 50; i++)
      log.add(alice, 'access_check', { grantee: hex(i), record: hex(1000 + i), action: 'read' }, ids);
    // A call that names no record: a hole, written as null.
    log.add(alice, 'access_check', { grantee: hex(7), action: 'read' }, ids);
    // Not known to be hex (the FHIR door's labels): escaped, whatever it holds.
    log.add(alice, 'fhir:Patient', { id: '0x"},"caller":"operator' });
    log.add(OPERATOR, 'audit_query', { patient: hex(3) }, idParamsOf([{ name: 'patient', schema: Hash32() }]));
  };
  const byHand = pinoSink();
  assert.ok(infoLineWriter(byHand.logger, 'm') !== undefined, 'the node logger takes hand-written lines');
  const hand = new ReadLog(byHand.logger, () => 77);
  fill(hand);
  await Promise.resolve();
  // The same reads through pino's own info (the path any other logger takes).
  const viaPino = pinoSink();
  const l = viaPino.logger;
  const through = new ReadLog(
    { error: l.error.bind(l), warn: l.warn.bind(l), debug: l.debug.bind(l), info: l.info?.bind(l) },
    () => 77,
  );
  fill(through);
  await Promise.resolve();
  assert.is(byHand.lines.length, 2);
  const strip = ({ time: _t, ...rest }: Record<string, unknown>) => rest;
  assert.equal(byHand.lines.map(strip), viaPino.lines.map(strip));
  const a = byHand.lines[0] as Record<string, unknown>;
  const reads = a.reads as Record<string, MethodReads>;
  assert.is(a.module, 'rpc');
  assert.is(a.node, 'n0');
  assert.is(a.level, 30);
  assert.is(a.caller, hex(0xa1), 'an id with quotes could not rewrite the caller');
  assert.equal(reads['fhir:Patient'], {
    calls: 1,
    id: ['0x"},"caller":"operator'],
  });
  const records = reads.access_check?.record as unknown[];
  assert.is(records[50], null);
});

test("a method's reads added with and without its id params: every row escaped, none lost", async () => {
  const ids = idParamsOf([{ name: 'record', schema: Hash32() }]);
  const byHand = pinoSink();
  const log = new ReadLog(byHand.logger, () => 1);
  const alice = patient(hex(0xa1));
  log.add(alice, 'record_get', { record: hex(1) }, ids);
  log.add(alice, 'record_get', { record: '0x"2' });
  log.add(alice, 'record_get', { record: hex(3) }, ids);
  await Promise.resolve();
  assert.equal((byHand.lines[0] as { reads: unknown }).reads, {
    record_get: { calls: 3, record: [hex(1), '0x"2', hex(3)] },
  });
});

test("isoTimeField writes pino's isoTime field, across second and millisecond boundaries", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 4102444800000 }), { minLength: 1, maxLength: 20 }), (times) => {
      let now = 0;
      const field = isoTimeField(() => now);
      // Sorted and not: the cached second must never leak into another second.
      for (const t of [...times, ...times.map((x) => x + 999), ...times.map((x) => x + 1)]) {
        now = t;
        assert.is(field(), `,"time":"${new Date(t).toISOString()}"`);
      }
    }),
  );
  assert.is(pino.stdTimeFunctions.isoTime().slice(0, 9), ',"time":"', 'the field pino writes');
});

test('idParamsOf: only the 0x-hex id schemas are written unescaped', () => {
  assert.equal(
    idParamsOf([
      { name: 'record', schema: Hash32() },
      { name: 'key', schema: Bytes0x({ maxLength: 64 }) },
      { name: 'id', schema: Type.String({ maxLength: 130 }) },
      { name: 'hash', schema: Type.String({ pattern: '^0x[0-9a-f"]{64}$' }) },
      { name: 'purpose', schema: Type.String() },
    ]),
    [
      { name: 'record', hex: true },
      { name: 'key', hex: true },
      { name: 'id', hex: false },
      { name: 'hash', hex: false },
    ],
  );
});

test('no hand-written lines where pino would write none, or is not the logger', () => {
  assert.is(infoLineWriter(pinoSink('warn').logger, 'm'), undefined);
  assert.is(infoLineWriter(sink().logger, 'm'), undefined);
});

test.run();
