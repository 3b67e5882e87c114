/**
 * Child process for the crash test: commits deterministic blocks forever,
 * printing each committed height and root, until it is killed.
 */
import { toHex } from '../../src/codec/bytes.js';
import { ChainState } from '../../state/chain.js';
import { crashBlockTxs } from './crash-blocks.js';
import { kvGenesis, kvMachine } from './kv-machine.js';

const dir = process.argv[2] as string;
const genesis = kvGenesis('crash-chain');
const chain = await ChainState.open({ dir, genesis, machine: kvMachine });
process.stdout.write(`open ${chain.head.height} ${toHex(chain.head.stateRoot)}\n`);
for (;;) {
  const height = chain.head.height + 1;
  const time = genesis.time + height * 1000;
  const txs = crashBlockTxs(genesis, height);
  const exec = chain.execute(time, new Uint8Array(32), txs);
  const header = chain.header(time, new Uint8Array(32), exec);
  await chain.commit({ header, txs: txs.map((t) => t.bytes) }, exec, new Uint8Array(0));
  process.stdout.write(`committed ${height} ${toHex(chain.head.stateRoot)}\n`);
}
