import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { equal, toHex, utf8 } from '../../src/codec/bytes.js';
import { sha256, sha256Parts } from '../../src/crypto/hash.js';
import { EMPTY_ROOT, nibble } from '../../state/smt/node.js';
import { decodeStateProof, encodeStateProof, verifyStateProof } from '../../state/smt/proof.js';
import { type NodeSource, type SmtOp, SparseMerkleTree } from '../../state/smt/tree.js';

/** Reference model: the root computed straight from the definition, over a plain Map. */
function refRoot(model: Map<string, Uint8Array>): Uint8Array {
  type E = { kh: Uint8Array; vh: Uint8Array };
  const entries: E[] = [...model].map(([k, v]) => ({ kh: sha256(utf8(k)), vh: sha256(v) }));
  if (entries.length === 0) return EMPTY_ROOT;
  // A subtree is either a single leaf (below the root) or an inner node hashed over its children.
  const sub = (es: E[], depth: number): { leaf?: E; hash?: Uint8Array } => {
    if (es.length === 1 && depth > 0) return { leaf: es[0] as E };
    let bitmap = 0;
    let leafMask = 0;
    const parts: Uint8Array[] = [];
    for (let n = 0; n < 16; n++) {
      const group = es.filter((e) => nibble(e.kh, depth) === n);
      if (group.length === 0) continue;
      bitmap |= 0x8000 >> n;
      const c = sub(group, depth + 1);
      if (c.leaf) {
        leafMask |= 0x8000 >> n;
        parts.push(c.leaf.kh, c.leaf.vh);
      } else parts.push(c.hash as Uint8Array);
    }
    const head = new Uint8Array([1, bitmap >> 8, bitmap & 0xff, leafMask >> 8, leafMask & 0xff]);
    return { hash: sha256Parts([head, ...parts]) };
  };
  return sub(entries, 0).hash as Uint8Array;
}

class MapSource implements NodeSource {
  nodes = new Map<string, Uint8Array>();
  getNode(h: Uint8Array) {
    return this.nodes.get(toHex(h));
  }
  put(writes: Array<[Uint8Array, Uint8Array]>) {
    for (const [h, b] of writes) this.nodes.set(toHex(h), b);
  }
}

const op = (k: string, v: Uint8Array | null): SmtOp => ({
  keyHash: sha256(utf8(k)),
  valueHash: v === null ? null : sha256(v),
});

test('empty tree has the zero root and proves absence', () => {
  const t = new SparseMerkleTree(new MapSource());
  assert.ok(equal(t.rootHash, EMPTY_ROOT));
  assert.ok(verifyStateProof(EMPTY_ROOT, utf8('a'), null, t.prove(sha256(utf8('a')))));
});

test('single key: root is an inner node over one leaf, and deleting it empties the tree', () => {
  const src = new MapSource();
  const t = new SparseMerkleTree(src);
  const u = t.stage([op('a', utf8('1'))]);
  const m = new Map([['a', utf8('1')]]);
  assert.ok(equal(u.rootHash, refRoot(m)));
  src.put(u.writes);
  t.advance(u);
  const d = t.stage([op('a', null)]);
  assert.ok(equal(d.rootHash, EMPTY_ROOT));
});

test('stage does not change the committed version (copy-on-write)', () => {
  const src = new MapSource();
  const t = new SparseMerkleTree(src, null, { cacheDepth: 1 });
  const u = t.stage([op('a', utf8('1')), op('b', utf8('2'))]);
  src.put(u.writes);
  t.advance(u);
  const before = t.rootHash;
  const proofBefore = t.prove(sha256(utf8('a')));
  t.stage([op('a', utf8('changed')), op('c', utf8('3'))]);
  assert.ok(equal(t.rootHash, before));
  assert.ok(verifyStateProof(before, utf8('a'), utf8('1'), t.prove(sha256(utf8('a')))));
  assert.ok(verifyStateProof(before, utf8('a'), utf8('1'), proofBefore));
});

test('last op for a key in one batch wins', () => {
  const t = new SparseMerkleTree(new MapSource());
  const u = t.stage([op('k', utf8('1')), op('k', null), op('k', utf8('3'))]);
  assert.ok(equal(u.rootHash, refRoot(new Map([['k', utf8('3')]]))));
});

test('tampered proofs, wrong values and wrong roots fail', () => {
  const src = new MapSource();
  const t = new SparseMerkleTree(src);
  const ops: SmtOp[] = [];
  for (let i = 0; i < 200; i++) ops.push(op(`k${i}`, utf8(`v${i}`)));
  const u = t.stage(ops);
  src.put(u.writes);
  t.advance(u);
  const p = t.prove(sha256(utf8('k7')));
  assert.ok(verifyStateProof(t.rootHash, utf8('k7'), utf8('v7'), p));
  assert.not.ok(verifyStateProof(t.rootHash, utf8('k7'), utf8('v8'), p), 'wrong value');
  assert.not.ok(verifyStateProof(t.rootHash, utf8('k7'), null, p), 'present key claimed absent');
  assert.not.ok(verifyStateProof(sha256(utf8('x')), utf8('k7'), utf8('v7'), p), 'wrong root');
  const step = p.steps[0] as (typeof p.steps)[0];
  const tampered = step.siblings.slice();
  tampered[5] = (tampered[5] as number) ^ 1;
  const bad = { ...p, steps: [{ ...step, siblings: tampered }, ...p.steps.slice(1)] };
  assert.not.ok(verifyStateProof(t.rootHash, utf8('k7'), utf8('v7'), bad), 'flipped sibling bit');
  const absent = t.prove(sha256(utf8('nope')));
  assert.ok(verifyStateProof(t.rootHash, utf8('nope'), null, absent));
  assert.not.ok(verifyStateProof(t.rootHash, utf8('nope'), utf8('x'), absent), 'absent key claimed present');
  assert.not.ok(verifyStateProof(t.rootHash, utf8('k7'), utf8('v7'), absent), 'proof for another key');
});

test('proof encoding round-trips canonically', () => {
  const src = new MapSource();
  const t = new SparseMerkleTree(src);
  const u = t.stage([op('a', utf8('1')), op('b', utf8('2')), op('c', utf8('3'))]);
  t.advance(u);
  for (const k of ['a', 'zz']) {
    const p = t.prove(sha256(utf8(k)));
    const bytes = encodeStateProof(p);
    assert.equal(encodeStateProof(decodeStateProof(bytes)), bytes);
  }
});

test('property: tree matches a plain Map model over random insert/update/delete batches, with proofs', () => {
  const keyArb = fc.integer({ min: 0, max: 60 }).map((i) => `key-${i}`);
  const opArb = fc.tuple(keyArb, fc.option(fc.uint8Array({ minLength: 0, maxLength: 8 }), { freq: 4 }));
  fc.assert(
    fc.property(
      fc.array(fc.array(opArb, { maxLength: 25 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 0, max: 3 }),
      (batches, cacheDepth) => {
        const src = new MapSource();
        let t = new SparseMerkleTree(src, null, { cacheDepth });
        const model = new Map<string, Uint8Array>();
        for (const batch of batches) {
          const u = t.stage(batch.map(([k, v]) => op(k, v)));
          for (const [k, v] of batch) {
            if (v === null) model.delete(k);
            else model.set(k, v);
          }
          if (!equal(u.rootHash, refRoot(model))) return false;
          src.put(u.writes);
          t.advance(u);
          // Reopening from the stored root gives the same tree (every node was persisted).
          t = SparseMerkleTree.open(src, u.rootHash, { cacheDepth });
        }
        for (let i = 0; i <= 60; i++) {
          const k = `key-${i}`;
          const p = t.prove(sha256(utf8(k)));
          const v = model.get(k) ?? null;
          if (!verifyStateProof(t.rootHash, utf8(k), v, p)) return false;
          if (v !== null && verifyStateProof(t.rootHash, utf8(k), null, p)) return false;
          if (v === null && verifyStateProof(t.rootHash, utf8(k), utf8('x'), p)) return false;
          const leaf = t.getLeaf(sha256(utf8(k)));
          if ((leaf === undefined) !== (v === null)) return false;
        }
        return true;
      },
    ),
    { numRuns: 150 },
  );
});

test('property: a batch whose keys share their first 4 bytes, with repeats, stages as its ops one at a time would', () => {
  // Key hashes chosen directly: few distinct prefixes so the sort's prefix-tie path runs.
  const keyArb = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 40 })).map(([p, t]) => {
    const k = new Uint8Array(32).fill(0xab, 0, 3);
    k[3] = p;
    k[4] = (t * 37) & 0xff;
    k[31] = t;
    return k;
  });
  const opArb = fc.tuple(keyArb, fc.option(fc.integer({ min: 0, max: 3 }), { freq: 4 }));
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
      const smtOps = ops.map(([keyHash, v]) => ({
        keyHash,
        valueHash: v === null ? null : sha256(new Uint8Array([v])),
      }));
      const batched = new SparseMerkleTree(new MapSource()).stage(smtOps).rootHash;
      const src = new MapSource();
      const one = new SparseMerkleTree(src);
      for (const o of smtOps) {
        const u = one.stage([o]);
        src.put(u.writes);
        one.advance(u);
      }
      return equal(batched, one.rootHash);
    }),
    { numRuns: 200 },
  );
});

test.run();
