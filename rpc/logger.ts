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
