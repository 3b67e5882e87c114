import { MerkleTree, merkleRoot, verifyInclusion } from '../src/chain/merkle.js';
import { opsPerSecondSync, round } from './measure.js';
import type { Benchmark } from './types.js';

/**
 * A block of 10,000 transactions. Leaves/s for the root (the physical limit
 * is about two sha256 per leaf: leaf + node hash, see crypto.sha256.64),
 * proofs/s from one kept tree, and proof verifications/s.
 */
const N = 10_000;
const leaves = Array.from({ length: N }, (_, i) => {
  const b = new Uint8Array(200);
  new DataView(b.buffer).setUint32(0, i);
  return b;
});

export const benchmarks: Benchmark[] = [
  {
    id: 'merkle.root.10k',
    async run() {
      const ops = opsPerSecondSync(() => merkleRoot(leaves), N, 1000);
      return { id: 'merkle.root.10k', ops_per_s: round(ops), unit: 'leaves' };
    },
  },
  {
    id: 'merkle.proof.10k',
    async run() {
      const tree = MerkleTree.fromLeaves(leaves);
      let i = 0;
      const ops = opsPerSecondSync(() => tree.proof(i++ % N), 1, 1000);
      return { id: 'merkle.proof.10k', ops_per_s: round(ops) };
    },
  },
  {
    id: 'merkle.verify.10k',
    async run() {
      const tree = MerkleTree.fromLeaves(leaves);
      const root = tree.root;
      const proofs = Array.from({ length: 256 }, (_, i) => ({
        i: i * 37,
        leaf: tree.leafHash(i * 37),
        path: tree.proof(i * 37),
      }));
      let k = 0;
      const ops = opsPerSecondSync(
        () => {
          const p = proofs[k++ & 255]!;
          if (!verifyInclusion(p.leaf, p.i, N, p.path, root)) throw new Error('proof rejected');
        },
        1,
        1000,
      );
      return { id: 'merkle.verify.10k', ops_per_s: round(ops) };
    },
  },
];
