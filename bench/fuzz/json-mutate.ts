/**
 * JSON-aware mutations for JSON-RPC requests: parse, change one node (a param
 * of the wrong type, a hex id one byte short, a huge number, a nested object,
 * a batch edit), stringify. Byte-level mutators run on the text as well.
 */
import type { Rng } from '../../consensus/sim/prng.js';
import { BYTE_MUTATORS, type Mutator } from './mutate.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const hex = (rng: Rng, bytes: number): string => {
  let s = '0x';
  for (let i = 0; i < bytes; i++) s += (rng.u32() & 0xff).toString(16).padStart(2, '0');
  return s;
};

function randomJson(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 7 : 9)) {
    case 0:
      return rng.pick([0, -1, 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e-308, 0.5, 2 ** 32]);
    case 1:
      return hex(rng, rng.pick([0, 1, 20, 31, 32, 33, 22, 64]));
    case 2:
      return rng.pick([
        '',
        'latest',
        'TREAT',
        'BTG',
        'read',
        'write',
        'license',
        'active',
        'access',
        '0x',
        '0xZZ',
        '__proto__',
      ]);
    case 3:
      return rng.pick([null, true, false]);
    case 4:
      return `0x${'0'.repeat(rng.pick([63, 64, 65]))}`;
    case 5:
      return String(rng.u32());
    case 6:
      return 'x'.repeat(rng.pick([65, 300, 5000]));
    case 7:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(3) }, () => [
          rng.pick(['limit', 'cursor', 'from', 'to', 'reverse', 'page', 'x', 'constructor']),
          randomJson(rng, depth + 1),
        ]),
      );
  }
}

function mutateJson(rng: Rng, v: unknown, depth = 0): unknown {
  if (Array.isArray(v) && v.length > 0 && rng.chance(0.8)) {
    const a = v.slice();
    const i = rng.int(a.length);
    const c = rng.int(5);
    if (c === 0) a.splice(i, 1);
    else if (c === 1) a.splice(i, 0, depth === 0 ? a[i] : randomJson(rng));
    else if (c === 2) a[i] = randomJson(rng);
    else a[i] = mutateJson(rng, a[i], depth + 1);
    return a;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    const c = rng.int(4);
    if (keys.length > 0 && c < 2) {
      const k = rng.pick(keys);
      o[k] = c === 0 ? mutateJson(rng, o[k], depth + 1) : randomJson(rng);
    } else if (keys.length > 0 && c === 2) delete o[rng.pick(keys)];
    else o[rng.pick(['params', 'id', 'method', 'jsonrpc', 'extra'])] = randomJson(rng);
    return o;
  }
  return randomJson(rng);
}

const jsonTree: Mutator = (rng, x) => {
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(x));
  } catch {
    return x;
  }
  return enc.encode(JSON.stringify(mutateJson(rng, v)));
};

export const JSON_MUTATORS: readonly Mutator[] = [...BYTE_MUTATORS, ...BYTE_MUTATORS.map(() => jsonTree), jsonTree];
