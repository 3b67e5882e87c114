import { equal } from '../codec/bytes.js';
import { isCoded } from '../errors.js';
import { type Block, BlockError, BlockErrorCode } from './block.js';
import { merkleRoot } from './merkle.js';
import { decodeTx, type Tx } from './tx.js';

/**
 * Checks a block's body against its header without executing it, cheapest
 * first: at most `maxTxs` transactions, their RFC 6962 root is the header's
 * txRoot, and each is a well-formed signed transaction (that `decodeBody`, if
 * given, accepts). A certificate or a proposal signs only the header hash, so
 * this is what binds a received body to it. Returns the decoded transactions.
 */
export function checkBlockBody(block: Block, maxTxs: number, decodeBody?: (tx: Tx) => void): Tx[] {
  if (block.txs.length > maxTxs)
    throw new BlockError(BlockErrorCode.TOO_MANY_TXS, { count: block.txs.length, max: maxTxs });
  if (!equal(merkleRoot(block.txs), block.header.txRoot))
    throw new BlockError(BlockErrorCode.ROOT_MISMATCH, { field: 'txRoot' });
  return block.txs.map((bytes, index) => {
    try {
      const tx = decodeTx(bytes);
      decodeBody?.(tx);
      return tx;
    } catch (err) {
      throw new BlockError(BlockErrorCode.BAD_TX, { index, reason: isCoded(err) ? err.code : 'TX_BAD_BODY' });
    }
  });
}
