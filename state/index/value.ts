import type { EventValue } from '../../src/chain/receipt.js';
import { byte, bytes, head, raw, reset, take, text } from '../../src/codec/cbor-writer.js';

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
 * Appends one entry, CBOR [receipt, seq, eventType, txHash, attrs], already wrapped as a one-entry
 * group (0x81 first), to the writer: a block's entries go into one buffer (the common group holds one
 * entry and is stored as that view of it).
 */
export function writeIndexEntry(
  receipt: number,
  seq: number,
  type: string,
  txHash: Uint8Array,
  attrs: Record<string, EventValue>,
): void {
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
}

/**
 * A stored group from one-entry groups (views into `slab`, from writeIndexEntry): a single entry is
 * stored as it is, several under one array header.
 */
export function groupValue(
  slab: Uint8Array,
  starts: readonly number[],
  ends: readonly number[],
  ids: readonly number[],
): Uint8Array {
  const first = ids[0] as number;
  if (ids.length === 1) return slab.subarray(starts[first] as number, ends[first] as number);
  reset();
  head(4, ids.length);
  for (const id of ids) raw(slab.subarray((starts[id] as number) + 1, ends[id] as number));
  return take();
}
