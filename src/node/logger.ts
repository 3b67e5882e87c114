import pino, { type Logger } from 'pino';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** One short human line from a JSON log line: `name  12:04:32.313 INFO  [module] msg k=v ...`. */
export function formatLogLine(name: string, line: string): string {
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const { level, time, msg, pid: _p, hostname: _h, node: _n, module, ...rest } = j;
    const kv = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    const t = typeof time === 'string' ? time.slice(11, 23) : '';
    return `${name.padEnd(6)} ${t} ${LEVELS[level as number] ?? ''} ${module ? `[${String(module)}] ` : ''}${String(msg)} ${kv}`.trimEnd();
  } catch {
    return `${name.padEnd(6)} ${line}`;
  }
}

/**
 * JSON lines on stdout (the devnet launcher and log shippers parse them); with `pretty` (a person
 * at a terminal), the same short lines the devnet launcher prints. A logged field named `time`
 * becomes `at`, so it never duplicates the line's own timestamp.
 * Logs carry ids, hashes, heights and codes only: never record contents or PHI.
 */
export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  o: { pretty?: boolean; name?: string; destination?: { write(line: string): void } } = {},
): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (obj) => {
        if (!('time' in obj)) return obj;
        const { time, ...rest } = obj;
        return { ...rest, at: time };
      },
    },
  };
  const out = o.destination ?? process.stdout;
  if (o.pretty !== true) return o.destination === undefined ? pino(opts) : pino(opts, o.destination);
  const name = o.name ?? String(base.module ?? base.node ?? '');
  return pino(opts, {
    write: (line: string) => {
      out.write(`${formatLogLine(name, line.trimEnd())}\n`);
    },
  });
}
