/** A Map key for bytes (node-only: Buffer's latin1 is the cheapest exact 1:1 mapping). */
export const mapKey = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
