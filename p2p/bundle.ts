import { encode } from '../src/codec/cbor.js';
import { P2pError, P2pErrorCode } from './errors.js';
import type { BundleLimits, TxBundlerOptions } from './options.js';

/**
 * A bundle is the canonical CBOR array of byte strings `[bstr, bstr, ...]`:
 * one gossip message carries many transactions, because gossipsub delivers
 * thousands of messages per second, not tens of thousands (docs/ARCHITECTURE.md, platform facts).
 */
export function encodeBundle(items: readonly Uint8Array[]): Uint8Array {
  return encode(items);
}

/** Bytes taken by a CBOR head carrying `n` (minimal encoding). */
export function headLength(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  return 5;
}

/** The largest encoding that can satisfy `limits`: the size check before any parsing. */
export function maxBundleBytes(limits: BundleLimits): number {
  const all = headLength(limits.maxItems) + limits.maxItems * (headLength(limits.maxItemBytes) + limits.maxItemBytes);
  return limits.maxBytes === undefined ? all : Math.min(all, limits.maxBytes);
}

const MAJOR_BYTES = 2;
const MAJOR_ARRAY = 4;

/**
 * Strict decoder for exactly the bundle shape, written out rather than a
 * generic CBOR decode so that a claimed item count is checked against
 * `maxItems` before anything is allocated. It accepts only the one canonical
 * encoding: definite lengths, minimal heads, no trailing bytes, so
 * `encodeBundle(decodeBundle(x))` equals `x` for every accepted `x`.
 * Items are copies, so keeping one transaction does not pin the whole bundle.
 */
export function decodeBundle(bytes: Uint8Array, limits: BundleLimits): Uint8Array[] {
  // Size limit before decode.
  const max = maxBundleBytes(limits);
  if (bytes.length > max) throw new P2pError(P2pErrorCode.BUNDLE_TOO_LARGE, { size: bytes.length, max });
  const r = { pos: 0 };
  const count = readHead(bytes, r, MAJOR_ARRAY);
  if (count > limits.maxItems) throw new P2pError(P2pErrorCode.BUNDLE_TOO_MANY_ITEMS, { count, max: limits.maxItems });
  const items: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const len = readHead(bytes, r, MAJOR_BYTES);
    if (len > limits.maxItemBytes) {
      throw new P2pError(P2pErrorCode.BUNDLE_ITEM_TOO_LARGE, { index: i, size: len, max: limits.maxItemBytes });
    }
    if (r.pos + len > bytes.length) throw malformed('truncated', r.pos);
    items[i] = bytes.slice(r.pos, r.pos + len);
    r.pos += len;
  }
  if (r.pos !== bytes.length) throw malformed('trailing bytes', r.pos);
  return items;
}

function readHead(b: Uint8Array, r: { pos: number }, major: number): number {
  if (r.pos >= b.length) throw malformed('truncated', r.pos);
  const first = b[r.pos] as number;
  if (first >> 5 !== major) throw malformed('unexpected type', r.pos);
  const info = first & 0x1f;
  r.pos++;
  if (info < 24) return info;
  // 27 (8-byte lengths) cannot pass the size limit; 28..31 are reserved or indefinite (non-canonical).
  const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
  if (n === 0 || r.pos + n > b.length) throw malformed('bad length', r.pos - 1);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (b[r.pos + i] as number);
  r.pos += n;
  // Minimal heads only (RFC 8949 §4.2.1): one encoding per value.
  if (headLength(v) !== n + 1) throw malformed('non-minimal length', r.pos - n - 1);
  return v;
}

function malformed(reason: string, offset: number): P2pError {
  return new P2pError(P2pErrorCode.BUNDLE_MALFORMED, { reason, offset });
}

/** What the sender needs of the limits (the receiver's seen-cache size is not its business). */
export type BundlerOptions = Pick<TxBundlerOptions, 'maxItems' | 'maxBytes' | 'maxDelayMs'> &
  Partial<Pick<TxBundlerOptions, 'maxItemBytes'>>;

export interface TxBundlerDeps {
  /** Sends one encoded bundle (the gossip publish); failures go to `onError`. */
  publish(bundle: Uint8Array): unknown;
  onError?(err: unknown): void;
}

/**
 * Batches outgoing items into bundles, flushing at `maxItems`, before
 * `maxBytes` would be exceeded, or `maxDelayMs` after the first queued item,
 * whichever comes first. The timer only bounds latency under light load.
 */
export class TxBundler {
  private items: Uint8Array[] = [];
  /** Encoded size of the items so far, without the array head. */
  private bodyBytes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly opts: BundlerOptions,
    private readonly deps: TxBundlerDeps,
  ) {}

  get pending(): number {
    return this.items.length;
  }

  add(item: Uint8Array): void {
    if (this.closed) throw new P2pError(P2pErrorCode.CLOSED, { what: 'bundler' });
    const itemBytes = headLength(item.length) + item.length;
    if (item.length > (this.opts.maxItemBytes ?? item.length) || headLength(1) + itemBytes > this.opts.maxBytes) {
      throw new P2pError(P2pErrorCode.BUNDLE_ITEM_TOO_LARGE, { size: item.length, max: this.opts.maxBytes });
    }
    const n = this.items.length;
    if (n > 0 && headLength(n + 1) + this.bodyBytes + itemBytes > this.opts.maxBytes) this.flush();
    this.items.push(item);
    this.bodyBytes += itemBytes;
    if (this.items.length >= this.opts.maxItems) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.opts.maxDelayMs);
    }
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.items.length === 0) return;
    const bundle = encodeBundle(this.items);
    this.items = [];
    this.bodyBytes = 0;
    try {
      const p = this.deps.publish(bundle);
      if (p instanceof Promise) p.catch((err: unknown) => this.deps.onError?.(err));
    } catch (err) {
      this.deps.onError?.(err);
    }
  }

  /** Sends what is queued and refuses further items. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
