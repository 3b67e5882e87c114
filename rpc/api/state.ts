import { Type } from '@sinclair/typebox';
import { equal, from0x, to0x } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isCoded, MedchainError } from '../../src/errors.js';
import { encodeStateProof } from '../../state/smt/proof.js';
import { SmtErrorCode, SparseMerkleTree } from '../../state/smt/tree.js';
import { defineMethod } from '../methods.js';
import { Bytes0x, Hash32, Uint } from '../schema.js';
import { BlockRef, loadBlock, resolveHeight } from './chain.js';
import type { NodeApi } from './types.js';

export const StateRpcErrorCode = { PRUNED: 'STATE_PRUNED' } as const;

export function stateMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'state_getProof',
      summary:
        'Value of a state key at a height with an inclusion or non-inclusion proof against that header’s stateRoot (verify with verifyStateProof). Past heights: the value is returned when it is still the current one, else only its hash.',
      params: [
        { name: 'key', schema: Bytes0x({ maxLength: 256 }) },
        { name: 'block', schema: BlockRef, required: false },
      ],
      result: Type.Object({
        key: Bytes0x(),
        height: Uint(),
        stateRoot: Hash32(),
        present: Type.Boolean(),
        value: Type.Union([Bytes0x(), Type.Null()]),
        valueHash: Type.Union([Hash32(), Type.Null()]),
        proof: Bytes0x({ description: 'canonical CBOR of the proof' }),
      }),
      errors: [StateRpcErrorCode.PRUNED, 'CHAIN_BLOCK_NOT_FOUND'],
      handler: async (p) => {
        const key = from0x(p.key);
        const height = await resolveHeight(api, p.block);
        const head = api.chain.head;
        const latest = height === head.height;
        const root = latest ? head.stateRoot : (await loadBlock(api, height)).block.header.stateRoot;
        let proof: ReturnType<SparseMerkleTree['prove']>;
        try {
          const tree = latest ? api.chain.store.tree : SparseMerkleTree.open(api.chain.store, root, { cacheDepth: 0 });
          proof = tree.prove(sha256(key));
        } catch (err) {
          // Nodes of old heights are swept by pruning (config pruning.keepBlocks).
          if (isCoded(err, SmtErrorCode.MISSING_NODE)) throw new MedchainError(StateRpcErrorCode.PRUNED, { height });
          throw err;
        }
        const leaf = proof.leaf !== null && equal(proof.leaf.keyHash, sha256(key)) ? proof.leaf : null;
        const current = api.chain.store.get(key);
        const value = leaf !== null && current !== undefined && equal(sha256(current), leaf.valueHash) ? current : null;
        return {
          key: p.key,
          height,
          stateRoot: to0x(root),
          present: leaf !== null,
          value: value === null ? null : to0x(value),
          valueHash: leaf === null ? null : to0x(leaf.valueHash),
          proof: to0x(encodeStateProof(proof)),
        };
      },
    }),
  ];
}
