import type { EventValue } from '../../src/chain/receipt.js';

/**
 * Index values: CBOR arrays of [receipt, seq, eventType, txHash, attrs] written by a small encoder for
 * flat attributes (bytes, text, unsigned ints, booleans, null), several times
 * faster than a general encoder. Index data is derived, not consensus data:
 * map keys keep the event's attribute order, and any CBOR decoder reads it.
 */

let buf = new Uint8Array(4096);
let pos = 0;
const enc = new TextEncoder();

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const next = new Uint8Array(Math.max(buf.length * 2, pos + n));
  next.set(buf.subarray(0, pos));
  buf = next;
}

function head(major: number, n: number): void {
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

function bytes(b: Uint8Array): void {
  head(2, b.length);
  ensure(b.length);
  buf.set(b, pos);
  pos += b.length;
}

function text(s: string): void {
  let ascii = true;
  for (let i = 0; i < s.length; i++)
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  if (!ascii) {
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

function value(v: EventValue): void {
  if (v instanceof Uint8Array) bytes(v);
  else if (typeof v === 'string') text(v);
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('event number out of range');
    head(0, v);
  } else if (typeof v === 'boolean') {
    ensure(1);
    buf[pos++] = v ? 0xf5 : 0xf4;
  } else {
    ensure(1);
    buf[pos++] = 0xf6;
  }
}

/**
 * One entry, CBOR [receipt, seq, eventType, txHash, attrs], returned already
 * wrapped as a one-entry group (0x81 first): the common case, stored as is.
 */
export function encodeIndexEntry(
  receipt: number,
  seq: number,
  type: string,
  txHash: Uint8Array,
  attrs: Record<string, EventValue>,
): Uint8Array {
  pos = 0;
  buf[pos++] = 0x81;
  head(4, 5);
  head(0, receipt);
  head(0, seq);
  text(type);
  bytes(txHash);
  const keys = Object.keys(attrs);
  head(5, keys.length);
  for (const k of keys) {
    text(k);
    value(attrs[k] as EventValue);
  }
  return buf.slice(0, pos);
}

/** A stored group of one-entry groups from encodeIndexEntry: one array header, then the entries. */
export function encodeGroup(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length === 1) return entries[0] as Uint8Array;
  pos = 0;
  head(4, entries.length);
  let n = pos;
  for (const e of entries) n += e.length - 1;
  const out = new Uint8Array(n);
  out.set(buf.subarray(0, pos));
  let o = pos;
  for (const e of entries) {
    out.set(e.subarray(1), o);
    o += e.length - 1;
  }
  return out;
}
