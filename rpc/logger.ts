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
 * For a pino logger: a writer of info lines whose fields are JSON text already (`"k":v,...`),
 * laid out as pino lays out its own (level, time, bindings, fields, msg), to the same stream; for
 * any other logger, or with info disabled, undefined. For lines too costly to build through pino's
 * generic stringify (the read log's id columns). Pino's log formatter and hooks are not applied:
 * the node's loggers (src/node/logger.ts) use neither on these fields.
 */
export function infoLineWriter(logger: RpcLogger): ((fields: string, msg: string) => void) | undefined {
  const l = logger as unknown as PinoLike;
  const stream = l[streamSym] as ({ write(s: string): void } & Record<symbol, unknown>) | undefined;
  const levels = l[lsCacheSym] as Record<number, string> | undefined;
  const time = l[timeSym] as (() => string) | undefined;
  const end = l[endSym];
  if (stream === undefined || levels?.[30] === undefined || time === undefined || typeof end !== 'string')
    return undefined;
  // A multistream wants each line's level and object beside it, which only pino's own write sets.
  if (stream[needsMetadataGsym] === true || l.isLevelEnabled?.('info') !== true) return undefined;
  return (fields, msg) => {
    stream.write(
      `${levels[30]}${time.call(l)}${l[chindingsSym] as string},${fields},"msg":${JSON.stringify(msg)}${end}`,
    );
  };
}
