import { Type } from '@sinclair/typebox';
import { type Block, decodeBlock, headerHash } from '../../src/chain/block.js';
import { decodeCommit } from '../../src/chain/commit.js';
import { decodeTx } from '../../src/chain/tx.js';
import { from0x, to0x } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../../src/version.js';
import { defineMethod } from '../methods.js';
import { Bytes0x, Hash32, TimeMs, Uint } from '../schema.js';
import { HeaderJson, headerToJson, ValidatorJson, validatorToJson } from './json.js';
import type { NodeApi } from './types.js';

export const ChainRpcErrorCode = {
  BLOCK_NOT_FOUND: 'CHAIN_BLOCK_NOT_FOUND',
  /** Below the node's earliestHeight: it joined by snapshot and does not hold that history. */
  BLOCK_NOT_RETAINED: 'CHAIN_BLOCK_NOT_RETAINED',
  /** The block's validator set is older than this node's history (it joined by snapshot after a change). */
  VALIDATORS_NOT_RETAINED: 'CHAIN_VALIDATORS_NOT_RETAINED',
} as const;

/** A block reference: a height, a 0x block hash, or "latest". */
export const BlockRef = Type.Union([Uint(), Hash32(), Type.Literal('latest')], {
  description: 'height, 0x block hash, or "latest"',
});

export async function resolveHeight(api: NodeApi, ref: number | string | undefined): Promise<number> {
  const head = api.chain.head.height;
  if (ref === undefined || ref === 'latest') return head;
  if (typeof ref === 'number') {
    if (ref < 1 || ref > head) throw new MedchainError(ChainRpcErrorCode.BLOCK_NOT_FOUND, { height: ref });
    if (ref < api.chain.earliestHeight)
      throw new MedchainError(ChainRpcErrorCode.BLOCK_NOT_RETAINED, {
        height: ref,
        earliest: api.chain.earliestHeight,
      });
    return ref;
  }
  const h = await api.chain.blocks.getHeightByHash(from0x(ref));
  if (h === undefined) throw new MedchainError(ChainRpcErrorCode.BLOCK_NOT_FOUND);
  return h;
}

export async function loadBlock(api: NodeApi, height: number): Promise<{ block: Block; hash: Uint8Array }> {
  const bytes = await api.chain.blocks.getBlock(height);
  if (bytes === undefined) throw new MedchainError(ChainRpcErrorCode.BLOCK_NOT_FOUND, { height });
  const block = decodeBlock(bytes);
  return { block, hash: headerHash(block.header) };
}

export function chainMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'chain_getStatus',
      summary: 'Chain id, genesis hash, head and finalized height, and whether the node is syncing',
      params: [],
      result: Type.Object({
        chainId: Type.String(),
        genesisHash: Hash32(),
        headHeight: Uint(),
        headHash: Hash32(),
        headTime: TimeMs(),
        finalizedHeight: Uint(),
        earliestHeight: Uint(
          'lowest height whose block, header and certificate this node serves (> 1 after a snapshot join)',
        ),
        stateRoot: Hash32(),
        syncing: Type.Boolean(),
        mempoolSize: Uint(),
        nodeVersion: Type.String(),
        protocolVersion: Uint(),
      }),
      handler: () => {
        const h = api.chain.head;
        return {
          chainId: api.chain.chainId,
          genesisHash: to0x(api.chain.genesisHash),
          headHeight: h.height,
          headHash: to0x(h.hash),
          headTime: h.time,
          // BFT finality: every committed block is final.
          finalizedHeight: h.height,
          earliestHeight: api.chain.earliestHeight,
          stateRoot: to0x(h.stateRoot),
          syncing: api.syncing(),
          mempoolSize: api.mempoolSize(),
          nodeVersion: NODE_VERSION,
          protocolVersion: PROTOCOL_VERSION,
        };
      },
    }),
    defineMethod({
      name: 'chain_getHeader',
      summary: 'A block header by height or hash',
      params: [{ name: 'block', schema: BlockRef, required: false }],
      result: HeaderJson,
      errors: [ChainRpcErrorCode.BLOCK_NOT_FOUND, ChainRpcErrorCode.BLOCK_NOT_RETAINED],
      handler: async (p) => {
        const { block, hash } = await loadBlock(api, await resolveHeight(api, p.block));
        return headerToJson(block.header, hash);
      },
    }),
    defineMethod({
      name: 'chain_getBlock',
      summary: 'A block by height or hash, with its transactions as signed bytes or only their hashes',
      params: [
        { name: 'block', schema: BlockRef, required: false },
        {
          name: 'fullTxs',
          schema: Type.Boolean({ description: 'true: signed tx bytes; false (default): tx hashes' }),
          required: false,
        },
      ],
      result: Type.Object({ header: HeaderJson, txs: Type.Array(Bytes0x()) }),
      errors: [ChainRpcErrorCode.BLOCK_NOT_FOUND, ChainRpcErrorCode.BLOCK_NOT_RETAINED],
      handler: async (p) => {
        const { block, hash } = await loadBlock(api, await resolveHeight(api, p.block));
        return {
          header: headerToJson(block.header, hash),
          txs: block.txs.map((t) => (p.fullTxs ? to0x(t) : to0x(decodeTx(t).hash))),
        };
      },
    }),
    defineMethod({
      name: 'chain_getCommit',
      summary: 'The commit certificate of a block: validator signatures over its hash',
      params: [{ name: 'block', schema: BlockRef, required: false }],
      result: Type.Object({
        height: Uint(),
        round: Uint(),
        blockHash: Hash32(),
        signatures: Type.Array(Type.Object({ validatorIndex: Uint(), signature: Bytes0x() })),
        encoded: Bytes0x({ description: 'canonical CBOR of the certificate' }),
      }),
      errors: [ChainRpcErrorCode.BLOCK_NOT_FOUND, ChainRpcErrorCode.BLOCK_NOT_RETAINED],
      handler: async (p) => {
        const height = await resolveHeight(api, p.block);
        const bytes = await api.chain.blocks.getCert(height);
        if (bytes === undefined) throw new MedchainError(ChainRpcErrorCode.BLOCK_NOT_FOUND, { height });
        const c = decodeCommit(bytes);
        return {
          height: c.height,
          round: c.round,
          blockHash: to0x(c.blockHash),
          signatures: c.signatures.map((s) => ({ validatorIndex: s.validatorIndex, signature: to0x(s.signature) })),
          encoded: to0x(bytes),
        };
      },
    }),
    defineMethod({
      name: 'chain_getValidators',
      summary:
        'The validator set that signs the next block, or, given a block, the set that signed it (the one its header names)',
      params: [{ name: 'block', schema: BlockRef, required: false }],
      result: Type.Array(ValidatorJson),
      errors: [
        ChainRpcErrorCode.BLOCK_NOT_FOUND,
        ChainRpcErrorCode.BLOCK_NOT_RETAINED,
        ChainRpcErrorCode.VALIDATORS_NOT_RETAINED,
      ],
      handler: async (p) => {
        if (p.block === undefined) return api.chain.validators.map(validatorToJson);
        const height = await resolveHeight(api, p.block);
        const { block } = await loadBlock(api, height);
        const set = await api.chain.validatorSetByHash(block.header.validatorsHash);
        if (set === undefined) throw new MedchainError(ChainRpcErrorCode.VALIDATORS_NOT_RETAINED, { height });
        return set.map(validatorToJson);
      },
    }),
  ];
}
