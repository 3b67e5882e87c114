import pino from 'pino';

/** The slice of a pino-style logger the RPC server uses (pass `logger.child({ module: 'rpc' })`). */
export interface RpcLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  /** Reads of personal data (who read whom); pino's info. Absent: not logged. */
  info?(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Fallback when no logger is given: errors and warnings to stderr, one JSON line each. */
export const stderrLogger: RpcLogger = {
  error: (obj, msg) => write('error', obj, msg),
  warn: (obj, msg) => write('warn', obj, msg),
  debug: () => {},
};

function write(level: string, obj: object, msg: string): void {
  const o: Record<string, unknown> = { level, msg, ...obj };
  const err = o.err;
  if (err instanceof Error) o.err = { name: err.name, message: err.message, stack: err.stack };
  process.stderr.write(`${JSON.stringify(o)}\n`);
}

const { chindingsSym, endSym, lsCacheSym, needsMetadataGsym, streamSym, timeSym } = pino.symbols;
type PinoLike = Record<symbol, unknown> & { isLevelEnabled?(level: string): boolean };

/**
 * For a pino logger: a writer of info lines with message `msg` whose fields are JSON text already
 * (`"k":v,...`), laid out as pino lays out its own (level, time, bindings, fields, msg), to the same
 * stream; for any other logger, or with info disabled, undefined. For lines too costly to build
 * through pino's generic stringify (the read log's id columns). Pino's log formatter and hooks are
 * not applied: the node's loggers (src/node/logger.ts) use neither on these fields.
 */
export function infoLineWriter(logger: RpcLogger, msg: string): ((fields: string) => void) | undefined {
  const l = logger as unknown as PinoLike;
  const stream = l[streamSym] as ({ write(s: string): void } & Record<symbol, unknown>) | undefined;
  const levels = l[lsCacheSym] as Record<number, string> | undefined;
  const time = l[timeSym] as (() => string) | undefined;
  const end = l[endSym];
  if (stream === undefined || levels?.[30] === undefined || time === undefined || typeof end !== 'string')
    return undefined;
  // A multistream wants each line's level and object beside it, which only pino's own write sets.
  if (stream[needsMetadataGsym] === true || l.isLevelEnabled?.('info') !== true) return undefined;
  const level = levels[30];
  const tail = `,"msg":${JSON.stringify(msg)}${end}`;
  const now = time === pino.stdTimeFunctions.isoTime ? isoTimeField() : () => time.call(l);
  return (fields) => {
    stream.write(`${level}${now()}${l[chindingsSym] as string},${fields}${tail}`);
  };
}

const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * pino's isoTime field (`,"time":"<ISO 8601>"`), the date formatted once a second rather than on
 * every line (a Date and its ISO string cost more than the rest of a read-log line's head).
 */
export function isoTimeField(now: () => number = Date.now): () => string {
  let second = Number.NaN;
  let head = '';
  return () => {
    const ms = now();
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      // "…T03:20:40.000Z" without its "000Z": the milliseconds follow.
      head = `,"time":"${new Date(s * 1000).toISOString().slice(0, -4)}`;
    }
    return `${head}${MILLIS[ms - s * 1000] as string}Z"`;
  };
}
