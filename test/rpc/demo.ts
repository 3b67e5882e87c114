/** A server with a few demo methods and one topic, as the tests' subject. */
import { Type } from '@sinclair/typebox';
import { ErrorTable } from '../../rpc/error-codes.js';
import type { RpcLogger } from '../../rpc/logger.js';
import type { RpcOptions } from '../../rpc/options.js';
import { Bytes0x, Hash32, TimeMs, Uint } from '../../rpc/schema.js';
import { type RpcAddress, RpcServer, type RpcServerDeps } from '../../rpc/server.js';
import { MedchainError } from '../../src/errors.js';

export interface LogEntry {
  level: 'error' | 'warn' | 'debug';
  obj: object;
  msg: string;
}

export function captureLogger(): { logger: RpcLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    logger: {
      error: (obj, msg) => entries.push({ level: 'error', obj, msg }),
      warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
      debug: () => {},
    },
  };
}

/** A secret an unexpected error carries; it must never reach a client. */
export const SECRET = 'patient Jane Roe, MRN 0042';

export interface Demo {
  server: RpcServer;
  addr: RpcAddress;
  url: string;
  logs: LogEntry[];
  /** Params of test_note notifications, in arrival order. */
  notes: unknown[];
  /** Set when test_slow saw its signal abort. */
  aborted: { reason: unknown }[];
  /** test_slow calls whose handler has started (tests poll it instead of sleeping). */
  slowStarted: { count: number };
}

const sleepWith = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export const RecordEvent = Type.Object({ patient: Hash32(), height: Uint(), time: TimeMs() });

export async function startDemo(opts: Partial<RpcOptions> = {}, deps: RpcServerDeps = {}): Promise<Demo> {
  const { logger, entries } = captureLogger();
  const errors = new ErrorTable().define('consent', { CONSENT_NOT_COVERED: 4001 });
  const server = new RpcServer(
    { port: 0, validateResults: true, rateLimit: null, ...opts },
    { logger, errors, ...deps },
  );
  const notes: unknown[] = [];
  const aborted: { reason: unknown }[] = [];
  const slowStarted = { count: 0 };

  server.defineMethod({
    name: 'test_echo',
    summary: 'Returns its argument',
    params: [{ name: 'value', schema: Type.Unknown() }],
    result: Type.Unknown(),
    handler: (p) => p.value,
  });
  server.defineMethod({
    name: 'test_add',
    summary: 'Adds two unsigned integers',
    params: [
      { name: 'a', schema: Uint() },
      { name: 'b', schema: Uint() },
    ],
    result: Uint(),
    handler: (p) => p.a + p.b,
  });
  server.defineMethod({
    name: 'test_opt',
    summary: 'One required and one optional param',
    params: [
      { name: 'label', schema: Type.String({ maxLength: 32 }) },
      { name: 'count', schema: Uint(), required: false },
    ],
    result: Type.Object({ label: Type.String(), count: Type.Union([Uint(), Type.Null()]) }),
    handler: (p) => ({ label: p.label, count: p.count ?? null }),
  });
  server.defineMethod({
    name: 'test_record',
    summary: 'Takes a nested object with edge-encoded fields',
    params: [
      { name: 'record', schema: Type.Object({ id: Hash32(), blob: Bytes0x({ maxLength: 4 }), time: TimeMs() }) },
    ],
    result: Hash32(),
    handler: async (p) => p.record.id,
  });
  server.defineMethod({
    name: 'test_slow',
    summary: 'Waits, returning early when its signal aborts',
    params: [{ name: 'ms', schema: Uint() }],
    result: Type.String(),
    handler: async (p, ctx) => {
      slowStarted.count++;
      await sleepWith(p.ms, ctx.signal);
      if (ctx.signal.aborted) aborted.push({ reason: ctx.signal.reason });
      return 'done';
    },
  });
  server.defineMethod({
    name: 'test_fail',
    summary: 'Throws a coded error',
    params: [{ name: 'code', schema: Type.String() }],
    result: Type.Null(),
    errors: ['CONSENT_NOT_COVERED'],
    handler: (p) => {
      throw new MedchainError(p.code, {
        height: 7,
        hash: new Uint8Array(32).fill(0xab),
        nested: { leak: SECRET },
        big: 2n ** 70n,
        code: 'SPOOF',
      });
    },
  });
  server.defineMethod({
    name: 'test_crash',
    summary: 'Throws an unexpected error',
    params: [],
    result: Type.Null(),
    handler: async () => {
      throw new Error(SECRET);
    },
  });
  server.defineMethod({
    name: 'test_badresult',
    summary: 'Returns a value outside its result schema',
    params: [],
    result: Uint(),
    handler: () => 'not a number' as unknown as number,
  });
  server.defineMethod({
    name: 'test_note',
    summary: 'Records its params (used as a notification)',
    params: [{ name: 'value', schema: Type.Unknown() }],
    result: Type.Null(),
    handler: (p) => {
      notes.push(p.value);
      return null;
    },
  });
  server.defineTopic({
    name: 'records',
    summary: 'Record events, optionally for one patient',
    filter: Type.Object({ patient: Type.Optional(Hash32()) }, { additionalProperties: false }),
    event: RecordEvent,
    match: (f, e: { patient: string }) => f?.patient === undefined || f.patient === e.patient,
  });

  const addr = await server.listen();
  return { server, addr, url: addr.url, logs: entries, notes, aborted, slowStarted };
}

export const P1 = `0x${'11'.repeat(32)}`;
export const P2 = `0x${'22'.repeat(32)}`;
