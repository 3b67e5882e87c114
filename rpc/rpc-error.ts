import { toHex } from '../src/codec/bytes.js';
import { MedchainError } from '../src/errors.js';
import { type ErrorTable, JsonRpcCode, ServerCode, type ServerCodeName } from './error-codes.js';

/** The `error` member of a JSON-RPC response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

/**
 * An error that already is a JSON-RPC error (framework limits, invalid params). Handlers should
 * throw MedchainError instead; this one is for the transport and built-in methods.
 */
export class RpcError extends Error {
  readonly code: number;
  readonly data: Record<string, unknown> | undefined;
  /** HTTP status when this error is the whole response (413, 429 ...). */
  readonly httpStatus: number;

  constructor(code: number, message: string, data?: Record<string, unknown>, httpStatus = 200) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
    this.httpStatus = httpStatus;
  }

  toObject(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** A server error whose `data.code` is its name, e.g. { code: -32003, data: { code: 'RATE_LIMITED' } }. */
export function serverError(
  name: ServerCodeName,
  message: string,
  meta?: Record<string, unknown>,
  httpStatus = 200,
): RpcError {
  return new RpcError(ServerCode[name], message, { code: name, ...meta }, httpStatus);
}

export const internalError = (): JsonRpcErrorObject => ({
  code: JsonRpcCode.INTERNAL_ERROR,
  message: 'Internal error',
});

const MAX_META_KEYS = 16;
const MAX_META_STRING = 256;
const MAX_META_BYTES = 64;

/**
 * Only small primitives from `meta` reach the client: numbers, booleans, short strings, bigints (as
 * decimal strings) and short byte strings (as 0x hex, e.g. hashes). Anything nested is dropped.
 */
export function safeMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(meta)) {
    if (n === MAX_META_KEYS) break;
    if (key === 'code') continue;
    const v = meta[key];
    let safe: unknown;
    if (typeof v === 'number') safe = Number.isFinite(v) ? v : undefined;
    else if (typeof v === 'boolean') safe = v;
    else if (typeof v === 'string') safe = v.length <= MAX_META_STRING ? v : undefined;
    else if (typeof v === 'bigint') safe = v.toString();
    else if (v instanceof Uint8Array) safe = v.length <= MAX_META_BYTES ? `0x${toHex(v)}` : undefined;
    if (safe === undefined) continue;
    out[key] = safe;
    n++;
  }
  return out;
}

/**
 * Maps what a handler threw to a JSON-RPC error. Unexpected errors become a bare -32603: their
 * message and stack may hold anything, so they only go to the log (`unexpected` returns true).
 */
export function toErrorObject(err: unknown, table: ErrorTable): { error: JsonRpcErrorObject; unexpected: boolean } {
  if (err instanceof RpcError) return { error: err.toObject(), unexpected: false };
  if (err instanceof MedchainError) {
    // The string code is the message: stable, PHI-free, and the message text may format meta.
    return {
      error: { code: table.numberOf(err.code), message: err.code, data: { code: err.code, ...safeMeta(err.meta) } },
      unexpected: false,
    };
  }
  return { error: internalError(), unexpected: true };
}
