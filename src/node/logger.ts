import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout (the devnet launcher and log shippers parse them).
 * Logs carry ids, hashes, heights and codes only: never record contents or PHI.
 */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime });
}
