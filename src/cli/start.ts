import { resolve } from 'node:path';
import type { Command } from 'commander';
import { medicalStateMachine } from '../../state/domain/index.js';
import { indexOps } from '../../state/index/index.js';
import { clockOffsetFromEnv, configProblem, inHome, loadConfig } from '../node/config.js';
import { createLogger } from '../node/logger.js';
import { Node } from '../node/node.js';
import { type GlobalOpts, globals, usage } from './output.js';
import { EXIT_DISK_FULL, onShutdown } from './shutdown.js';
import { keyConfigFields, loadCustodianKey } from './vault.js';

/**
 * `medchain start --home DIR`: runs one node until SIGINT/SIGTERM. With config.json
 * `vault: {enabled, port, dir?, key}` the node also serves the custodian vault; its key is opened
 * from the keystore (global --keystore, --password-file / MEDCHAIN_PASSWORD / prompt) before the
 * node starts, so a wrong password starts nothing.
 */
export async function startNode(homeArg: string, g: GlobalOpts): Promise<void> {
  const home = resolve(homeArg);
  const config = await loadConfig(home);
  const problem = configProblem(config);
  if (problem !== null) throw usage(`config.json: ${problem}`);
  const v = config.vault;
  const vaultKey =
    v?.enabled === true
      ? await loadCustodianKey(
          g,
          { key: v.key, keyFile: v.keyFile === undefined ? undefined : inHome(home, v.keyFile) },
          createLogger(config.log.level, { node: config.moniker, module: 'vault' }),
          keyConfigFields,
        )
      : undefined;
  const node = await Node.create({
    home,
    config,
    clockOffsetMs: clockOffsetFromEnv(process.env),
    machine: medicalStateMachine,
    indexer: (ops, height, time, txs, receipts, read) => indexOps({ height, time, txs, receipts, read }, ops),
    ...(vaultKey === undefined ? {} : { vaultKey }),
  });
  const stop = onShutdown(() => node.close());
  // A full disk: close cleanly (nothing half-written) and exit; restart once space is freed.
  node.events.once('fatal', (reason) => stop(reason, EXIT_DISK_FULL));
  // Started by `medchain devnet`: stop with the launcher, even if it is killed.
  if (process.send !== undefined) process.on('disconnect', () => stop('launcher gone'));
}

export function startCommand(program: Command, longRunning: () => void): void {
  program
    .command('start')
    .option('--home <dir>', 'node home directory', 'data/node')
    .action(async (o: { home: string }, cmd: Command) => {
      longRunning();
      await startNode(o.home, globals(cmd));
    });
}
