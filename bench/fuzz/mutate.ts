/**
 * Seeded mutations of valid encodings. Byte-level mutators find framing and
 * canonical-form bugs; CBOR-aware ones decode a seed leniently, change one node
 * of the value tree (including CBOR nested inside byte strings, e.g. a tx
 * payload, a proposal's block, a bundle item) and re-encode it, so the input
 * gets past the framing and reaches the field checks behind it.
 */
import { decode, encode } from 'cborg';
import type { Rng } from '../../consensus/sim/prng.js';

export type Mutator = (rng: Rng, input: Uint8Array, corpus: readonly Uint8Array[]) => Uint8Array;

const INTERESTING_BYTES = [
  0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x40, 0x5f, 0x7f, 0x80, 0x9f, 0xbf, 0xf4, 0xf6, 0xf7, 0xff,
];

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.u32() & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const bitFlip: Mutator = (rng, x) => {
  if (x.length === 0) return randomBytes(rng, 1);
  const y = x.slice();
  const i = rng.int(y.length);
  y[i] = (y[i] as number) ^ (1 << rng.int(8));
  return y;
};

const byteSet: Mutator = (rng, x) => {
  if (x.length === 0) return Uint8Array.of(rng.pick(INTERESTING_BYTES));
  const y = x.slice();
  y[rng.int(y.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.u32() & 0xff;
  return y;
};

const truncate: Mutator = (rng, x) => x.slice(0, rng.int(x.length + 1));

const extend: Mutator = (rng, x) => concat(x, randomBytes(rng, rng.range(1, 8)));

const insertBytes: Mutator = (rng, x) => {
  const at = rng.int(x.length + 1);
  return concat(x.subarray(0, at), randomBytes(rng, rng.range(1, 4)), x.subarray(at));
};

const deleteBytes: Mutator = (rng, x) => {
  if (x.length === 0) return x;
  const at = rng.int(x.length);
  return concat(x.subarray(0, at), x.subarray(Math.min(x.length, at + rng.range(1, 8))));
};

/** A head of another seed (or this one) glued to a tail of this one. */
const splice: Mutator = (rng, x, corpus) => {
  const other = rng.pick(corpus);
  return concat(other.subarray(0, rng.int(other.length + 1)), x.subarray(rng.int(x.length + 1)));
};

/** Swaps two chunks of equal length (a field swap when they line up with fields). */
const swapChunks: Mutator = (rng, x) => {
  if (x.length < 4) return x;
  const len = rng.range(1, Math.min(40, x.length >> 1));
  const a = rng.int(x.length - 2 * len + 1);
  const b = rng.range(a + len, x.length - len);
  const y = x.slice();
  y.set(x.subarray(b, b + len), a);
  y.set(x.subarray(a, a + len), b);
  return y;
};

/** Rewrites one CBOR head's argument: lengths and integers become large, small or non-minimal. */
const lengthChange: Mutator = (rng, x) => {
  if (x.length === 0) return x;
  const i = rng.int(x.length);
  const major = (x[i] as number) & 0xe0;
  const choice = rng.int(4);
  const head =
    choice === 0
      ? Uint8Array.of(major | 0x1a, 0xff, 0xff, 0xff, 0xff) // 4-byte huge length
      : choice === 1
        ? Uint8Array.of(major | 0x18, (x[i] as number) & 0x1f) // non-minimal 1-byte form
        : choice === 2
          ? Uint8Array.of(major | 0x1f) // indefinite
          : Uint8Array.of(major | rng.int(24));
  return concat(x.subarray(0, i), head, x.subarray(i + 1));
};

// ---- CBOR-aware ----

const LENIENT = { allowUndefined: true, allowIndefinite: true, allowNaN: true, allowInfinity: true } as const;

function tryDecode(x: Uint8Array): { ok: true; v: unknown } | { ok: false } {
  try {
    return { ok: true, v: decode(x, LENIENT) };
  } catch {
    return { ok: false };
  }
}

const INTERESTING_INTS = [
  0,
  1,
  2,
  3,
  23,
  24,
  255,
  256,
  65535,
  65536,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  -1,
  -2,
];

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0:
      return rng.pick(INTERESTING_INTS);
    case 1:
      return rng.chance(0.5) ? rng.u32() : -rng.u32() - 1;
    case 2:
      return randomBytes(rng, rng.pick([0, 1, 16, 31, 32, 33, 64, 65, rng.int(200)]));
    case 3:
      return rng.pick(['', 'a', 'medchain', 'x'.repeat(65), '\u0000', 'TREAT', 'open', 'é']);
    case 4:
      return rng.pick([null, true, false, 1.5, -0.5, 2 ** 64]);
    case 5:
      return rng.u32() % 2 === 0 ? BigInt(2) ** 64n : -(BigInt(2) ** 64n);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default:
      return { a: randomValue(rng, depth + 1) };
  }
}

function tweakLeaf(rng: Rng, v: unknown, depth: number): unknown {
  if (typeof v === 'number')
    return rng.chance(0.5) ? v + rng.pick([1, -1, 2 ** 32, -(2 ** 31)]) : rng.pick(INTERESTING_INTS);
  if (v instanceof Uint8Array) {
    // Nested CBOR (a tx payload, a block, a bundle item): mutate inside it and re-encode.
    if (depth < 4 && v.length > 0 && rng.chance(0.6)) {
      const inner = tryDecode(v);
      if (inner.ok) return encode(mutateTree(rng, inner.v, depth + 1));
    }
    const c = rng.int(4);
    if (c === 0) return v.subarray(0, Math.max(0, v.length - 1));
    if (c === 1) return concat(v, Uint8Array.of(0));
    if (c === 2 && v.length > 0) {
      const y = v.slice();
      const i = rng.int(y.length);
      y[i] = (y[i] as number) ^ (1 << rng.int(8));
      return y;
    }
    return new Uint8Array(v.length);
  }
  if (typeof v === 'string') return rng.chance(0.5) ? v + 'x' : v.slice(0, -1);
  return randomValue(rng);
}

/** One change somewhere in the tree: a leaf tweak, a replacement, or an array edit. */
function mutateTree(rng: Rng, v: unknown, depth = 0): unknown {
  if (Array.isArray(v) && v.length > 0 && rng.chance(0.75)) {
    const a = v.slice();
    const i = rng.int(a.length);
    switch (rng.int(6)) {
      case 0:
        a.splice(i, 1);
        return a;
      case 1:
        a.splice(i, 0, a[i]);
        return a;
      case 2: {
        const j = rng.int(a.length);
        [a[i], a[j]] = [a[j], a[i]];
        return a;
      }
      case 3:
        a[i] = randomValue(rng);
        return a;
      default:
        a[i] = mutateTree(rng, a[i], depth);
        return a;
    }
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v)) {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    if (keys.length > 0 && rng.chance(0.7)) {
      const k = rng.pick(keys);
      o[k] = mutateTree(rng, o[k], depth);
    } else o[rng.pick(['a', 'type', 'patient', 'zz'])] = randomValue(rng);
    return o;
  }
  return rng.chance(0.85) ? tweakLeaf(rng, v, depth) : randomValue(rng);
}

const cborTree: Mutator = (rng, x) => {
  const d = tryDecode(x);
  if (!d.ok) return byteSet(rng, x, []);
  try {
    return encode(mutateTree(rng, d.v));
  } catch {
    return x;
  }
};

export const BYTE_MUTATORS: readonly Mutator[] = [
  bitFlip,
  byteSet,
  truncate,
  extend,
  insertBytes,
  deleteBytes,
  splice,
  swapChunks,
  lengthChange,
];

/** CBOR targets draw the tree mutator as often as all byte mutators together. */
export const CBOR_MUTATORS: readonly Mutator[] = [...BYTE_MUTATORS, ...BYTE_MUTATORS.map(() => cborTree)];

/** 1-3 stacked mutations of a corpus entry, or (1 in 16) plain random bytes. */
export function generate(rng: Rng, corpus: readonly Uint8Array[], mutators: readonly Mutator[], maxRandom: number) {
  if (corpus.length === 0 || rng.int(16) === 0) return randomBytes(rng, rng.int(maxRandom + 1));
  let x = rng.pick(corpus);
  const n = rng.range(1, 3);
  for (let k = 0; k < n; k++) x = rng.pick(mutators)(rng, x, corpus);
  return x;
}
