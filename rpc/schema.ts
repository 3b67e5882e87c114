/**
 * TypeBox helpers for the edge encoding (docs/ARCHITECTURE.md, "Encoding at the edges"): bytes as lowercase
 * 0x hex, integers as JSON numbers (decimal strings beyond 2^53), times as integer ms of block time.
 * Lowercase only, so ids and hashes compare equal as strings (filters, caches, logs).
 */
import { type StringOptions, type TInteger, type TString, type TUnion, Type } from '@sinclair/typebox';

export interface BytesOptions extends Pick<StringOptions, 'title' | 'description'> {
  /** Exact length in bytes. */
  length?: number;
  /** Bounds in bytes when the length varies. */
  minLength?: number;
  maxLength?: number;
}

/** Bytes as `0x`-prefixed lowercase hex, an even number of digits. */
export function Bytes0x(opts: BytesOptions = {}): TString {
  const { length, minLength, maxLength, ...rest } = opts;
  if (length !== undefined)
    return Type.String({
      pattern: `^0x[0-9a-f]{${2 * length}}$`,
      minLength: 2 + 2 * length,
      maxLength: 2 + 2 * length,
      ...rest,
    });
  return Type.String({
    pattern: '^0x(?:[0-9a-f]{2})*$',
    ...(minLength !== undefined && { minLength: 2 + 2 * minLength }),
    ...(maxLength !== undefined && { maxLength: 2 + 2 * maxLength }),
    ...rest,
  });
}

/** A 32-byte hash (block, tx, record ids, state roots). */
export const Hash32 = (description = '32-byte hash, 0x-prefixed lowercase hex'): TString =>
  Bytes0x({ length: 32, description });

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const U64_MAX = 2n ** 64n - 1n;

/** An unsigned integer that fits a JSON number exactly (0..2^53-1). */
export const Uint = (description?: string): TInteger =>
  Type.Integer({ minimum: 0, maximum: MAX_SAFE, ...(description !== undefined && { description }) });

/** Integer milliseconds of block time (Unix epoch). */
export const TimeMs = (description = 'integer milliseconds of block time since the Unix epoch'): TInteger =>
  Type.Integer({ minimum: 0, maximum: MAX_SAFE, description });

/**
 * A u64: a JSON number up to 2^53-1, a decimal string from 2^53 to 2^64-1. One encoding per value
 * (small values as strings are rejected), so encode(decode(x)) == x.
 */
export const U64 = (
  description = 'u64: JSON number up to 2^53-1, decimal string from 2^53 to 2^64-1',
): TUnion<[TInteger, TString]> =>
  Type.Union([Type.Integer({ minimum: 0, maximum: MAX_SAFE }), Type.String({ pattern: U64_STRING_PATTERN })], {
    description,
  });

/** Edge encoding of a u64 value. */
export function u64ToJson(v: bigint | number): number | string {
  const b = BigInt(v);
  if (b < 0n || b > U64_MAX) throw new RangeError('u64 out of range');
  return b <= BigInt(MAX_SAFE) ? Number(b) : b.toString();
}

/** Decodes a value already validated by `U64()`. */
export const u64FromJson = (v: number | string): bigint => BigInt(v);

/**
 * A regex source matching exactly the decimal integers in [min, max] without leading zeros.
 * Built digit by digit, so no value outside the range slips through a loose `\d{n}`.
 */
export function decimalRangePattern(min: bigint, max: bigint): string {
  if (min < 0n || max < min) throw new RangeError('bad decimal range');
  const lo = min.toString();
  const hi = max.toString();
  const alts: string[] = [];
  for (let len = lo.length; len <= hi.length; len++) {
    const a = len === lo.length ? lo : `1${'0'.repeat(len - 1)}`;
    const b = len === hi.length ? hi : '9'.repeat(len);
    alts.push(sameLength(a, b));
  }
  return `^(?:${alts.join('|')})$`;
}

/** Digit strings of equal length with a <= b: a regex for every string between them. */
function sameLength(a: string, b: string): string {
  if (a === b) return a;
  const n = a.length;
  const a0 = a.charCodeAt(0) - 48;
  const b0 = b.charCodeAt(0) - 48;
  if (n === 1) return `[${a0}-${b0}]`;
  if (a0 === b0) return `${a0}(?:${sameLength(a.slice(1), b.slice(1))})`;
  const restA = a.slice(1);
  const restB = b.slice(1);
  const any = `[0-9]{${n - 1}}`;
  // Whole runs of leading digits collapse: [a0..b0] followed by anything.
  if (/^0*$/.test(restA) && /^9*$/.test(restB)) return `[${a0}-${b0}]${any}`;
  const parts = [`${a0}(?:${sameLength(restA, '9'.repeat(n - 1))})`];
  if (a0 + 1 <= b0 - 1) parts.push(`[${a0 + 1}-${b0 - 1}]${any}`);
  parts.push(`${b0}(?:${sameLength('0'.repeat(n - 1), restB)})`);
  return parts.join('|');
}

export const U64_STRING_PATTERN = decimalRangePattern(BigInt(MAX_SAFE) + 1n, U64_MAX);
