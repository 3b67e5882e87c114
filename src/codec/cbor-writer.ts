/**
 * A small CBOR writer for hot paths (receipts, index entries): heads, byte
 * and text strings into one growing scratch buffer, copied out once. Callers
 * write a whole value between reset() and take(); nothing may interleave.
 */
let buf = new Uint8Array(4096);
let pos = 0;
const enc = new TextEncoder();

export function reset(): void {
  pos = 0;
}

/** A copy of what was written since reset(). */
export function take(): Uint8Array {
  return buf.slice(0, pos);
}

/** How many bytes were written since reset(). */
export function offset(): number {
  return pos;
}

/** Bytes written as they are (already encoded CBOR). */
export function raw(b: Uint8Array): void {
  ensure(b.length);
  buf.set(b, pos);
  pos += b.length;
}

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const next = new Uint8Array(Math.max(buf.length * 2, pos + n));
  next.set(buf.subarray(0, pos));
  buf = next;
}

export function byte(b: number): void {
  ensure(1);
  buf[pos++] = b;
}

/** A head of major type `major` with argument n (a non-negative safe integer), minimal. */
export function head(major: number, n: number): void {
  ensure(9);
  const m = major << 5;
  if (n < 24) buf[pos++] = m | n;
  else if (n < 0x100) {
    buf[pos++] = m | 24;
    buf[pos++] = n;
  } else if (n < 0x10000) {
    buf[pos++] = m | 25;
    buf[pos++] = n >>> 8;
    buf[pos++] = n;
  } else if (n < 0x100000000) {
    buf[pos++] = m | 26;
    writeU32(n);
  } else {
    buf[pos++] = m | 27;
    writeU32(Math.floor(n / 0x100000000));
    writeU32(n >>> 0);
  }
}

function writeU32(n: number): void {
  buf[pos++] = n >>> 24;
  buf[pos++] = n >>> 16;
  buf[pos++] = n >>> 8;
  buf[pos++] = n;
}

export function bytes(b: Uint8Array): void {
  head(2, b.length);
  ensure(b.length);
  buf.set(b, pos);
  pos += b.length;
}

export const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

export function text(s: string): void {
  if (!isAscii(s)) {
    const b = enc.encode(s);
    head(3, b.length);
    ensure(b.length);
    buf.set(b, pos);
    pos += b.length;
    return;
  }
  head(3, s.length);
  ensure(s.length);
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
}
