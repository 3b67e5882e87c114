/**
 * `medchain vault`: the custodian vault next to a node (JSON-RPC at --rpc). Also started by
 * `medchain start` when the node's config.json has `vault: {enabled: true, port, dir?, keyFile}`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fromHex } from '../codec/bytes.js';
import { createLogger } from '../node/logger.js';
import { type RunningVault, startVault } from '../vault/index.js';
import { defaultVaultOptions } from '../vault/options.js';
import { onShutdown } from './shutdown.js';

export interface VaultConfig {
  enabled: boolean;
  port?: number;
  host?: string;
  /** LevelDB directory (relative to home), default vault/. */
  dir?: string;
  /** File holding the custodian organization's Ed25519 secret key as hex (relative to home). */
  keyFile: string;
  maxRecordBytes?: number;
}

async function readKey(file: string): Promise<Uint8Array> {
  return fromHex((await readFile(file, 'utf8')).trim().replace(/^0x/, ''));
}

export async function runVault(o: {
  rpc: string;
  dir: string;
  host: string;
  port: number;
  keyFile: string;
  maxRecordBytes?: number;
  logLevel?: string;
}): Promise<RunningVault> {
  const log = createLogger(o.logLevel ?? 'info', { module: 'vault' });
  return startVault(
    {
      dir: resolve(o.dir),
      host: o.host,
      port: o.port,
      ...(o.maxRecordBytes === undefined ? {} : { maxRecordBytes: o.maxRecordBytes }),
    },
    { rpcUrl: o.rpc, custodianSecretKey: await readKey(o.keyFile), log },
  );
}

export function vaultCommand(program: Command, onLongRunning: () => void): void {
  program
    .command('vault')
    .description('run the custodian vault: encrypted records served under on-chain consent, shredded on erasure')
    .option('--dir <dir>', 'vault LevelDB directory', 'data/vault')
    .option('--host <host>', 'listen address', defaultVaultOptions.host)
    .option('--port <port>', 'listen port', (v) => Number(v), defaultVaultOptions.port)
    .requiredOption('--key-file <file>', "file with the custodian organization's secret key (hex)")
    .action(async (o: { dir: string; host: string; port: number; keyFile: string }) => {
      onLongRunning();
      const rpc = (program.opts() as { rpc: string }).rpc;
      const v = await runVault({ rpc, ...o });
      process.stdout.write(`${JSON.stringify({ vault: v.url })}\n`);
      onShutdown(() => v.close());
    });
}
