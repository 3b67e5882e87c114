import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { medicalStateMachine } from '../../state/domain/index.js';
import { indexOps } from '../../state/index/index.js';
import { loadConfig } from '../node/config.js';
import { Node } from '../node/node.js';
import { onShutdown } from './shutdown.js';
import { runVault, type VaultConfig } from './vault.js';

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
  // Vault mode: config.json `vault: {enabled, port, dir?, keyFile}` runs the custodian vault beside the node.
  const vcfg = (JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { vault?: VaultConfig }).vault;
  const rpcUrl = node.rpcAddress?.url;
  const vault =
    vcfg?.enabled === true && rpcUrl !== undefined
      ? await runVault({
          rpc: rpcUrl,
          dir: resolve(home, vcfg.dir ?? 'vault'),
          host: vcfg.host ?? '127.0.0.1',
          port: vcfg.port ?? 8600,
          keyFile: resolve(home, vcfg.keyFile),
          ...(vcfg.maxRecordBytes === undefined ? {} : { maxRecordBytes: vcfg.maxRecordBytes }),
          logLevel: config.log.level,
        })
      : undefined;
  const stop = onShutdown(async () => {
    await vault?.close();
    await node.close();
  });
  // Started by `medchain devnet`: stop with the launcher, even if it is killed.
  if (process.send !== undefined) process.on('disconnect', () => stop('launcher gone'));
}
