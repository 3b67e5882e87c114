/** 0x-prefixed hex, the JSON-RPC encoding of bytes (lower case out, either case in). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export function hex(b: Uint8Array): string {
  let s = '0x';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number];
  return s;
}

export function unhex(s: string): Uint8Array {
  const h = s.startsWith('0x') ? s.slice(2) : s;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new TypeError('expected hex bytes');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
