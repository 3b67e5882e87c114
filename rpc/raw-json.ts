/** Raw-JSON helpers: the depth guard and response envelopes built as strings (no re-serialization). */
import type { JsonRpcErrorObject } from './rpc-error.js';

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when brackets nest deeper than `max`, scanning the bytes once (strings skipped) before
 * JSON.parse runs: a 100k-deep array costs one linear pass, never recursion or a huge object graph.
 */
export function exceedsDepth(bytes: Uint8Array, max: number): boolean {
  // A text of n bytes cannot nest deeper than n.
  if (bytes.length <= max) return false;
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c === QUOTE) {
      i = stringEnd(bytes, i + 1);
      if (i === -1) return false; // unterminated: JSON.parse rejects it
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing a string whose content starts at `from`, or -1. */
function stringEnd(bytes: Uint8Array, from: number): number {
  let q = from;
  for (;;) {
    q = nextQuote(bytes, q);
    if (q === -1) return -1;
    // Escaped only if preceded by an odd run of backslashes.
    let k = 0;
    while (bytes[q - 1 - k] === BACKSLASH) k++;
    if ((k & 1) === 0) return q;
    q++;
  }
}

/** Short strings (keys, "2.0") by a JS loop; long ones (hex payloads) by the native memchr. */
function nextQuote(bytes: Uint8Array, from: number): number {
  const stop = Math.min(bytes.length, from + 16);
  for (let j = from; j < stop; j++) if (bytes[j] === QUOTE) return j;
  return stop === bytes.length ? -1 : bytes.indexOf(QUOTE, stop);
}

export type JsonRpcId = string | number | null;

/** JSON-RPC ids are strings, numbers or null; 1e400 parses to Infinity, which JSON cannot echo. */
export const isValidId = (id: unknown): id is JsonRpcId =>
  typeof id === 'string' || id === null || (typeof id === 'number' && Number.isFinite(id));

const idJson = (id: JsonRpcId): string => (typeof id === 'string' ? JSON.stringify(id) : String(id));

/** `result` is the already-serialized JSON of the result. */
export const successJson = (id: JsonRpcId, result: string): string =>
  `{"jsonrpc":"2.0","id":${idJson(id)},"result":${result}}`;

export const errorJson = (id: JsonRpcId, error: JsonRpcErrorObject): string =>
  `{"jsonrpc":"2.0","id":${idJson(id)},"error":${JSON.stringify(error)}}`;

export const notificationJson = (subscription: string, result: string): string =>
  `{"jsonrpc":"2.0","method":"subscription","params":{"subscription":${JSON.stringify(subscription)},"result":${result}}}`;
