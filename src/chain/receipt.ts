import { asArray, asBytes, asString, asTuple, asUint, decodeCanonical, encode, shapeError } from '../codec/cbor.js';
import { byte, bytes, head, isAscii, reset, take, text } from '../codec/cbor-writer.js';

/** What a transaction did. A failed transaction changes nothing but its receipt. */
export const TxStatus = { OK: 0, FAILED: 1, DENIED: 2 } as const;
export type TxStatus = (typeof TxStatus)[keyof typeof TxStatus];

export type EventValue = Uint8Array | string | number | boolean | null;

/**
 * An audit event: a type and flat attributes (ids, codes, block times; never
 * PHI). Attributes are a CBOR map, which cborg encodes in one canonical order.
 */
export interface ChainEvent {
  type: string;
  attrs: Record<string, EventValue>;
}

export interface Receipt {
  /** The tx hash, or 32 zero bytes for block-level events (e.g. governance taking effect). */
  txHash: Uint8Array;
  status: TxStatus;
  /** '' when OK, else the coded reason (e.g. 'NO_CONSENT'). */
  code: string;
  events: ChainEvent[];
}

/**
 * The receipt's canonical CBOR (the events root commits to these bytes).
 * Written directly for what receipts carry (ASCII attribute names; bytes,
 * text, unsigned ints, booleans, null): one buffer, no token tree, the map
 * keys in cborg's canonical order (length first, then bytes). Anything else
 * goes through cborg, so the bytes are cborg's in every case.
 */
export function encodeReceipt(r: Receipt): Uint8Array {
  if (
    !(r.txHash instanceof Uint8Array) ||
    !Number.isSafeInteger(r.status) ||
    r.status < 0 ||
    typeof r.code !== 'string'
  )
    return encodeGeneric(r);
  reset();
  byte(0x84);
  bytes(r.txHash);
  head(0, r.status);
  text(r.code);
  head(4, r.events.length);
  for (const e of r.events) {
    byte(0x82);
    text(e.type);
    if (!writeAttrs(e.attrs)) return encodeGeneric(r);
  }
  return take();
}

const encodeGeneric = (r: Receipt): Uint8Array =>
  encode([r.txHash, r.status, r.code, r.events.map((e) => [e.type, e.attrs])]);

/** Canonical map order for ASCII keys: shorter first, then bytewise (char codes are the bytes). */
const byLengthThenBytes = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/** Writes attrs as a canonical CBOR map; false (nothing usable written) when it needs the generic encoder. */
function writeAttrs(attrs: Record<string, EventValue>): boolean {
  const keys = Object.keys(attrs);
  for (const k of keys) if (!isAscii(k)) return false;
  keys.sort(byLengthThenBytes);
  head(5, keys.length);
  for (const k of keys) {
    text(k);
    const v = attrs[k];
    if (v instanceof Uint8Array) bytes(v);
    else if (typeof v === 'string') text(v);
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) return false;
      head(0, v);
    } else if (typeof v === 'boolean') byte(v ? 0xf5 : 0xf4);
    else if (v === null) byte(0xf6);
    else return false;
  }
  return true;
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  const [txHash, status, code, events] = asTuple(decodeCanonical(bytes, 64 * 1024), 4, 'receipt');
  return {
    txHash: asBytes(txHash, 'receipt.txHash', 32),
    status: asUint(status, 'receipt.status', 2) as TxStatus,
    code: asString(code, 'receipt.code', 64),
    events: asArray(events, 'receipt.events', 1024).map((e) => {
      const [type, attrs] = asTuple(e, 2, 'event');
      if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs) || attrs instanceof Uint8Array)
        throw shapeError('event.attrs');
      return { type: asString(type, 'event.type', 64), attrs: attrs as Record<string, EventValue> };
    }),
  };
}
