import type { EventValue } from '../../src/chain/receipt.js';
import { byte, bytes, head, reset, take, text, view } from '../../src/codec/cbor-writer.js';

/**
 * Index values: CBOR arrays of [receipt, seq, eventType, txHash, attrs] written by a small encoder for
 * flat attributes (bytes, text, unsigned ints, booleans, null), several times
 * faster than a general encoder. Index data is derived, not consensus data:
 * map keys keep the event's attribute order, and any CBOR decoder reads it.
 */

function value(v: EventValue): void {
  if (v instanceof Uint8Array) bytes(v);
  else if (typeof v === 'string') text(v);
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('event number out of range');
    head(0, v);
  } else if (typeof v === 'boolean') byte(v ? 0xf5 : 0xf4);
  else byte(0xf6);
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
  reset();
  byte(0x81);
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
  return take();
}

/** A stored group of one-entry groups from encodeIndexEntry: one array header, then the entries. */
export function encodeGroup(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length === 1) return entries[0] as Uint8Array;
  reset();
  head(4, entries.length);
  const h = view();
  let n = h.length;
  for (const e of entries) n += e.length - 1;
  const out = new Uint8Array(n);
  out.set(h);
  let o = h.length;
  for (const e of entries) {
    out.set(e.subarray(1), o);
    o += e.length - 1;
  }
  return out;
}
