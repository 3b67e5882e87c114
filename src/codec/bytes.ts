/** Byte helpers on plain Uint8Array (no Buffer in signatures of hot paths). */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number];
  return s;
}

// Nibble value of each char code, -1 for non-hex: one table lookup per char (tx_submit decodes
// every submitted transaction from hex).
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

export const fromHex = (s: string): Uint8Array => hexAt(s, 0);

/** Decodes s from `offset` on (no slice copy); not exported, so callers' `.map(fromHex)` stays safe. */
function hexAt(s: string, offset: number): Uint8Array {
  const n = s.length - offset;
  if (n < 0 || n % 2 !== 0) throw new TypeError('invalid hex');
  const out = new Uint8Array(n / 2);
  for (let i = 0, j = offset; i < out.length; i++, j += 2) {
    const hi = NIBBLE[s.charCodeAt(j)] ?? -1;
    const lo = NIBBLE[s.charCodeAt(j + 1)] ?? -1;
    if (hi < 0 || lo < 0) throw new TypeError('invalid hex');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** `0x`-prefixed hex, the JSON-RPC edge encoding. */
export const to0x = (b: Uint8Array): string => `0x${toHex(b)}`;

export function from0x(s: string): Uint8Array {
  if (!s.startsWith('0x')) throw new TypeError('expected 0x-prefixed hex');
  return hexAt(s, 2);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic order; shorter prefix first. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);

/** Big-endian u32/u64 writers for fixed-width keys (ordering in LevelDB follows the number). */
export function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function u64be(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

export function readU64be(b: Uint8Array, off = 0): number {
  return Number(new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0));
}
