import { asArray, asBytes, asString, asTuple, asUint, decodeCanonical, encode, shapeError } from '../codec/cbor.js';

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

export const encodeReceipt = (r: Receipt): Uint8Array =>
  encode([r.txHash, r.status, r.code, r.events.map((e) => [e.type, e.attrs])]);

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
