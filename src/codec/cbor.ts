import { decode as cborDecode, encode as cborEncode } from 'cborg';
import { MedchainError } from '../errors.js';
import { equal } from './bytes.js';

export const CodecErrorCode = {
  OVERSIZE: 'CODEC_OVERSIZE',
  MALFORMED: 'CODEC_MALFORMED',
  NON_CANONICAL: 'CODEC_NON_CANONICAL',
  SHAPE: 'CODEC_SHAPE',
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

export class CodecError extends MedchainError<CodecErrorCode> {}

/** cborg's default encoding is deterministic (RFC 8949 §4.2 length-first map order, minimal ints). */
export function encode(value: unknown): Uint8Array {
  return cborEncode(value);
}

const DECODE_OPTS = {
  strict: true, // rejects non-minimal integers and lengths
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowNaN: false,
  allowInfinity: false,
} as const;

/**
 * Bounded, canonical decode: size limit first, then a strict decode (which
 * rejects trailing bytes), then re-encode and compare, because cborg does not
 * check map key order. Anything that is not the one encoding of its value is
 * rejected, so hashes and signatures have exactly one preimage.
 */
export function decodeCanonical(bytes: Uint8Array, maxBytes: number): unknown {
  if (bytes.length > maxBytes) throw new CodecError(CodecErrorCode.OVERSIZE, { size: bytes.length, max: maxBytes });
  let value: unknown;
  try {
    value = cborDecode(bytes, DECODE_OPTS);
  } catch {
    // cborg's message may quote input bytes; keep it out of the error.
    throw new CodecError(CodecErrorCode.MALFORMED, { size: bytes.length });
  }
  if (!equal(cborEncode(value), bytes)) throw new CodecError(CodecErrorCode.NON_CANONICAL, { size: bytes.length });
  return value;
}

// ---- shape checks for tuples decoded from untrusted bytes ----

export function shapeError(what: string): CodecError {
  return new CodecError(CodecErrorCode.SHAPE, { what });
}

export function asTuple(v: unknown, len: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== len) throw shapeError(what);
  return v;
}

export function asBytes(v: unknown, what: string, len?: number, maxLen?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw shapeError(what);
  if (len !== undefined && v.length !== len) throw shapeError(what);
  if (maxLen !== undefined && v.length > maxLen) throw shapeError(what);
  return v;
}

/** A non-negative safe integer (no floats, no bigints in consensus data). */
export function asUint(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw shapeError(what);
  return v;
}

export function asString(v: unknown, what: string, maxLen: number): string {
  if (typeof v !== 'string' || v.length > maxLen) throw shapeError(what);
  return v;
}

export function asArray(v: unknown, what: string, maxLen: number): unknown[] {
  if (!Array.isArray(v) || v.length > maxLen) throw shapeError(what);
  return v;
}

export function asBool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw shapeError(what);
  return v;
}
