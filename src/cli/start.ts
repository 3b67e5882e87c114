import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { medicalStateMachine } from '../../state/domain/index.js';
import { indexOps } from '../../state/index/index.js';
import { clockOffsetFromEnv, inHome, loadConfig } from '../node/config.js';
import { createLogger } from '../node/logger.js';
import { Node } from '../node/node.js';
import type { RunningVault } from '../vault/index.js';
import { type GlobalOpts, usage } from './output.js';
import { EXIT_DISK_FULL, onShutdown } from './shutdown.js';
import { keyConfigFields, loadCustodianKey, runVault, type VaultConfig } from './vault.js';

/**
 * `medchain start --home DIR`: runs one node until SIGINT/SIGTERM. With config.json
 * `vault: {enabled, port, dir?, key}` it also runs the custodian vault beside the node; the key
 * is opened from the keystore (global --keystore, --password-file / MEDCHAIN_PASSWORD / prompt)
 * before the node starts, so a wrong password starts nothing.
 */
export async function startNode(homeArg: string, g: GlobalOpts): Promise<void> {
  const home = resolve(homeArg);
  const config = await loadConfig(home);
  const vcfg = (JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { vault?: VaultConfig }).vault;
  const vlog = vcfg?.enabled === true ? createLogger(config.log.level, { module: 'vault' }) : undefined;
  let vaultKey: Uint8Array | undefined;
  if (vcfg !== undefined && vlog !== undefined) {
    if (!config.rpc.enabled) throw usage('config.json: vault.enabled needs rpc.enabled (the vault reads the chain)');
    const keyFile = vcfg.keyFile === undefined ? undefined : inHome(home, vcfg.keyFile);
    vaultKey = await loadCustodianKey(g, { key: vcfg.key, keyFile }, vlog, keyConfigFields);
  }
  // The vault reads personal data (access checks, pointers) as the node's operator: a node without
  // an rpc.token gets one for this run, in memory only.
  if (vaultKey !== undefined && config.rpc.token === undefined) config.rpc.token = randomBytes(32).toString('hex');
  const node = await Node.create({
    home,
    config,
    clockOffsetMs: clockOffsetFromEnv(process.env),
    machine: medicalStateMachine,
    indexer: (ops, height, time, txs, receipts) => indexOps({ height, time, txs, receipts }, ops),
  });
  let vault: RunningVault | undefined;
  const rpcUrl = node.rpcAddress?.url;
  if (vcfg !== undefined && vlog !== undefined && vaultKey !== undefined && rpcUrl !== undefined) {
    try {
      vault = await runVault({
        rpc: rpcUrl,
        rpcToken: config.rpc.token,
        dir: inHome(home, vcfg.dir ?? 'vault'),
        host: vcfg.host ?? '127.0.0.1',
        port: vcfg.port ?? 8600,
        secretKey: vaultKey,
        maxRecordBytes: vcfg.maxRecordBytes,
        log: vlog,
      });
    } catch (err) {
      await node.close();
      throw err;
    }
  }
  const outcomes = vault?.outcomes;
  if (outcomes !== undefined) node.metrics?.attachVault(() => [...outcomes].map(([outcome, n]) => [{ outcome }, n]));
  const stop = onShutdown(async () => {
    await vault?.close();
    await node.close();
  });
  // A full disk: close cleanly (nothing half-written) and exit; restart once space is freed.
  node.events.once('fatal', (reason) => stop(reason, EXIT_DISK_FULL));
  // Started by `medchain devnet`: stop with the launcher, even if it is killed.
  if (process.send !== undefined) process.on('disconnect', () => stop('launcher gone'));
}
