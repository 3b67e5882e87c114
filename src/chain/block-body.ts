import { equal } from '../codec/bytes.js';
import { isCoded } from '../errors.js';
import { type Block, BlockError, BlockErrorCode } from './block.js';
import { leafHash, merkleRootFromLeafHashes } from './merkle.js';
import { decodeTx, type Tx } from './tx.js';

/**
 * A transaction this node decoded and checked before (its mempool), by RFC 6962
 * leaf hash: returned only if its bytes equal `bytes`, and only if it passed the
 * same `decodeBody`.
 */
export type KnownTx = (leaf: Uint8Array, bytes: Uint8Array) => Tx | undefined;

/**
 * Checks a block's body against its header without executing it, cheapest
 * first: at most `maxTxs` transactions, their RFC 6962 root is the header's
 * txRoot, and each is a well-formed signed transaction (that `decodeBody`, if
 * given, accepts). A certificate or a proposal signs only the header hash, so
 * this is what binds a received body to it. Returns the decoded transactions;
 * those `known` holds (byte for byte) are reused, not decoded again.
 */
export function checkBlockBody(block: Block, maxTxs: number, decodeBody?: (tx: Tx) => void, known?: KnownTx): Tx[] {
  if (block.txs.length > maxTxs)
    throw new BlockError(BlockErrorCode.TOO_MANY_TXS, { count: block.txs.length, max: maxTxs });
  const leaves = block.txs.map(leafHash);
  if (!equal(merkleRootFromLeafHashes(leaves), block.header.txRoot))
    throw new BlockError(BlockErrorCode.ROOT_MISMATCH, { field: 'txRoot' });
  return block.txs.map((bytes, index) => {
    const seen = known?.(leaves[index] as Uint8Array, bytes);
    if (seen !== undefined && equal(seen.bytes, bytes)) return seen;
    try {
      const tx = decodeTx(bytes);
      decodeBody?.(tx);
      return tx;
    } catch (err) {
      throw new BlockError(BlockErrorCode.BAD_TX, { index, reason: isCoded(err) ? err.code : 'TX_BAD_BODY' });
    }
  });
}
