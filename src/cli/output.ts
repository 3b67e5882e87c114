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

Environment: MEDCHAIN_RPC (default node URL), MEDCHAIN_RPC_TOKEN (its bearer token), MEDCHAIN_KEYSTORE (key directory),
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
  /** Bearer token for nodes that require one (MEDCHAIN_RPC_TOKEN). */
  rpcToken?: string;
  json: boolean;
  keystore: string;
  passwordFile?: string;
  /** Queries sign in as this keystore key. */
  as?: string;
}

export const globals = (cmd: Command): GlobalOpts => cmd.optsWithGlobals() as GlobalOpts;

/** The one place a client command connects: a session or token for scoped reads goes here. */
export const clientOf = (g: GlobalOpts): MedchainClient =>
  MedchainClient.http(g.rpc, g.rpcToken === undefined ? {} : { token: g.rpcToken });

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

/** What to do next, per JSON-RPC error reason (the string code in error.data.code). */
const RPC_NEXT: [RegExp, string][] = [
  [
    /UNKNOWN_IDENTITY|NOT_REGISTERED/,
    'the identity is not registered on this chain; after `npm run devnet -- --fresh` re-import the hospital keys (`medchain keys import-devnet --force`) and register patients and practitioners again',
  ],
  [/WRONG_CHAIN/, '--rpc (MEDCHAIN_RPC) points to a node of another chain'],
  [/TX_EXPIRED/, 'the tx expired before the node saw it: check this machine’s clock and retry'],
  [/NOT_FOUND$/, 'check the id (tables print short ids; --json prints full ones)'],
  [/^-32601$/, '`medchain --help` lists the commands; rpc.discover lists the node’s methods'],
  [/UNAUTHORIZED|FORBIDDEN|TOKEN/, 'this read needs a signed-in session or the node’s operator token'],
];

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
    const next = RPC_NEXT.find(([re]) => re.test(err.reason))?.[1];
    message = `${err.message} (${err.code})${next === undefined ? '' : `: ${next}`}`;
  } else if (err instanceof TransportError) {
    code = Exit.UNREACHABLE;
    reason = 'UNREACHABLE';
    message = `${err.message}: is a node running there? Check --rpc or MEDCHAIN_RPC (\`npm start\` runs a local devnet)`;
  } else if (isCoded(err) && err.code.startsWith('KEYSTORE_')) {
    code = Exit.KEY;
    reason = err.code;
    message =
      err.code === 'KEYSTORE_BAD_PASSWORD'
        ? 'wrong password for the key file'
        : err.code === 'KEYSTORE_WEAK_PARAMS'
          ? 'scrypt parameters too weak for a key file (N at least 2^14, r at least 8)'
          : 'unreadable key file';
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: { reason, message, exitCode: code } })}\n`);
  process.stderr.write(`error: ${message}\n`);
  return code;
}
