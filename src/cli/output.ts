/**
 * What every client subcommand shares: global options, machine (--json) or human output, and
 * exit codes scripts can rely on.
 */
import type { Command } from 'commander';
import { MedchainClient, RpcClientError, TransportError } from '../client/client.js';
import { isCoded } from '../errors.js';

/** Exit codes (also in `medchain --help`). */
export const Exit = {
  OK: 0,
  /** Unexpected failure (a bug, or the environment). */
  ERROR: 1,
  /** Bad command line: unknown option, missing or malformed argument. */
  USAGE: 2,
  /** The node answered with a JSON-RPC error (not found, invalid params, rejected tx...). */
  RPC: 3,
  /** The node could not be reached. */
  UNREACHABLE: 4,
  /** The chain said no: a tx included as denied or failed, an access check denied. */
  DENIED: 5,
  /** Key file problem: wrong password, missing or unreadable key. */
  KEY: 6,
} as const;

export const EXIT_HELP = `
Exit codes:
  0  success
  1  unexpected error
  2  usage error (bad option or argument)
  3  the node returned a JSON-RPC error (not found, invalid params, tx rejected at admission)
  4  the node could not be reached
  5  the chain said no (tx included as denied/failed; access check denied)
  6  key file error (wrong password, unknown key)

Environment: MEDCHAIN_RPC (default node URL), MEDCHAIN_KEYSTORE (key directory),
MEDCHAIN_PASSWORD (key password, for scripts; prefer --password-file).`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usage = (message: string): CliError => new CliError(message, Exit.USAGE);

export interface GlobalOpts {
  rpc: string;
  json: boolean;
  keystore: string;
  passwordFile?: string;
  /** Queries sign in as this keystore key. */
  as?: string;
}

export const globals = (cmd: Command): GlobalOpts => cmd.optsWithGlobals() as GlobalOpts;

export const clientOf = (g: GlobalOpts): MedchainClient => MedchainClient.http(g.rpc);

/** Prints a result: JSON with --json, else the human rendering. */
export function emit(g: GlobalOpts, value: unknown, human: () => string): void {
  process.stdout.write(g.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A plain text table: a header row and left-aligned columns. */
export function table(head: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  '))
    .join('\n');
}

/** Key/value lines. */
export const fields = (o: Record<string, unknown>): string => {
  const w = Math.max(...Object.keys(o).map((k) => k.length));
  return Object.entries(o)
    .map(
      ([k, v]) =>
        `${k.padEnd(w)}  ${v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(', ') || '-' : String(v)}`,
    )
    .join('\n');
};

/** 0x1234…abcd for tables (--json always prints full values). */
export const short = (h: string | null | undefined): string =>
  typeof h === 'string' && h.length > 18 ? `${h.slice(0, 10)}…${h.slice(-6)}` : (h ?? '-');
export const when = (ms: number | null | undefined): string =>
  typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString() : '-';

/** Maps any failure to a message on stderr (or a JSON error with --json) and an exit code. */
export function fail(err: unknown, json: boolean): number {
  let code: number = Exit.ERROR;
  let reason = 'ERROR';
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof CliError) {
    code = err.exitCode;
    reason = code === Exit.USAGE ? 'USAGE' : code === Exit.DENIED ? 'DENIED' : 'ERROR';
  } else if (err instanceof RpcClientError) {
    code = Exit.RPC;
    reason = err.reason;
    message = `${err.message} (${err.code})`;
  } else if (err instanceof TransportError) {
    code = Exit.UNREACHABLE;
    reason = 'UNREACHABLE';
  } else if (isCoded(err) && err.code.startsWith('KEYSTORE_')) {
    code = Exit.KEY;
    reason = err.code;
    message = err.code === 'KEYSTORE_BAD_PASSWORD' ? 'wrong password for the key file' : 'unreadable key file';
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: { reason, message, exitCode: code } })}\n`);
  process.stderr.write(`error: ${message}\n`);
  return code;
}
