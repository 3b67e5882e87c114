import { resolve } from 'node:path';
import { medicalStateMachine } from '../../state/domain/index.js';
import { indexOps } from '../../state/index/index.js';
import { loadConfig } from '../node/config.js';
import { Node } from '../node/node.js';
import { onShutdown } from './shutdown.js';

/** `medchain start --home DIR`: runs one node until SIGINT/SIGTERM. */
export async function startNode(homeArg: string): Promise<void> {
  const home = resolve(homeArg);
  const config = await loadConfig(home);
  const node = await Node.create({
    home,
    config,
    machine: medicalStateMachine,
    indexer: (ops, height, time, txs, receipts) => indexOps({ height, time, txs, receipts }, ops),
  });
  const stop = onShutdown(() => node.close());
  // Started by `medchain devnet`: stop with the launcher, even if it is killed.
  if (process.send !== undefined) process.on('disconnect', () => stop('launcher gone'));
}
