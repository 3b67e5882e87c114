import type { Genesis } from '../../src/chain/genesis.js';
import type { Tx } from '../../src/chain/tx.js';
import { utf8 } from '../../src/codec/bytes.js';
import { kvTx } from './kv-machine.js';

export const CRASH_TXS_PER_BLOCK = 1500;

/** Block `height`'s transactions: a function of the height alone, so any process can rebuild them. */
export function crashBlockTxs(genesis: Genesis, height: number): Tx[] {
  const txs: Tx[] = [];
  const expiresAt = genesis.time + height * 1000 + 60_000;
  for (let i = 0; i < CRASH_TXS_PER_BLOCK; i++) {
    // Half new keys, half overwrites of earlier blocks' keys: both paths of the tree are exercised.
    const key = i % 2 === 0 || height === 1 ? `h${height}-${i}` : `h${height - 1}-${i - 1}`;
    txs.push(kvTx(genesis.chainId, utf8(key), utf8(`v${height}-${i}`), expiresAt));
  }
  return txs;
}
