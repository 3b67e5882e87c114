import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, verify } from '../ed25519.js';

/**
 * One verify job = one ArrayBuffer, transferred to the worker (no structured
 * clone of object arrays):
 *   u32le count, then per item: u32le msgLen | sig (64) | pk (32) | msg
 * The reply is a bitmap with bit i set iff item i verified.
 *
 * Ed25519 has no batch equation here (neither OpenSSL nor noble offers one),
 * so a job is simply items verified one by one and the reply is already per
 * item: lodestar's "on a failed batch, retry one by one" step is unnecessary.
 */
export interface VerifyItem {
  msg: Uint8Array;
  sig: Uint8Array;
  pk: Uint8Array;
}

const ITEM_FIXED = 4 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH;

/** Items with wrong lengths cannot be packed; they are invalid and never leave the main thread. */
export function isPackable(it: VerifyItem): boolean {
  return (
    it !== null &&
    typeof it === 'object' &&
    it.sig instanceof Uint8Array &&
    it.pk instanceof Uint8Array &&
    it.msg instanceof Uint8Array &&
    it.sig.length === SIGNATURE_LENGTH &&
    it.pk.length === PUBLIC_KEY_LENGTH
  );
}

/** Packs items[idx[j]] for j in [from, to). */
export function packJob(items: readonly VerifyItem[], idx: readonly number[], from: number, to: number): ArrayBuffer {
  let size = 4;
  for (let j = from; j < to; j++) size += ITEM_FIXED + (items[idx[j] as number] as VerifyItem).msg.length;
  const buf = new ArrayBuffer(size);
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);
  dv.setUint32(0, to - from, true);
  let o = 4;
  for (let j = from; j < to; j++) {
    const it = items[idx[j] as number] as VerifyItem;
    dv.setUint32(o, it.msg.length, true);
    u8.set(it.sig, o + 4);
    u8.set(it.pk, o + 4 + SIGNATURE_LENGTH);
    u8.set(it.msg, o + ITEM_FIXED);
    o += ITEM_FIXED + it.msg.length;
  }
  return buf;
}

/** Worker side: verifies every item of a packed job; views into the buffer, no copies. */
export function runJob(buf: ArrayBuffer): ArrayBuffer {
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);
  const count = dv.getUint32(0, true);
  const bits = new Uint8Array(Math.ceil(count / 8));
  let o = 4;
  for (let i = 0; i < count; i++) {
    const msgLen = dv.getUint32(o, true);
    const sig = u8.subarray(o + 4, o + 4 + SIGNATURE_LENGTH);
    const pk = u8.subarray(o + 4 + SIGNATURE_LENGTH, o + ITEM_FIXED);
    const msg = u8.subarray(o + ITEM_FIXED, o + ITEM_FIXED + msgLen);
    if (verify(sig, msg, pk)) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
    o += ITEM_FIXED + msgLen;
  }
  return bits.buffer;
}

export const bitAt = (bits: Uint8Array, i: number): boolean => (((bits[i >> 3] as number) >> (i & 7)) & 1) === 1;
