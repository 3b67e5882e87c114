/**
 * `medchain vault`: the custodian vault next to a node (JSON-RPC at --rpc). A node also serves
 * one itself when its config.json has `vault: {enabled: true, port, dir?, key}` (src/node).
 * The custodian organization's key comes from the encrypted keystore (`--key <name>`, password as
 * for every other command) or, for existing setups, from a plain hex file (`--key-file`, mode 0600).
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { fromHex } from '../codec/bytes.js';
import { createLogger, type Logger } from '../node/logger.js';
import { type RunningVault, startVault } from '../vault/index.js';
import { defaultVaultOptions } from '../vault/options.js';
import { openKey } from './keyfiles.js';
import { CliError, Exit, type GlobalOpts, globals, usage } from './output.js';
import { onShutdown } from './shutdown.js';

/** Where the custodian key comes from: exactly one of a keystore name and a plain key file. */
export interface CustodianKeySource {
  key?: string | undefined;
  keyFile?: string | undefined;
}

/** How the two sources are spelled where they were given, for error messages. */
export const keyFlags = { key: '--key <name>', keyFile: '--key-file <file>' };
export const keyConfigFields = { key: 'config.json vault.key', keyFile: 'config.json vault.keyFile' };

/** Loads the custodian organization's Ed25519 secret key, before anything starts. */
export async function loadCustodianKey(
  g: GlobalOpts,
  src: CustodianKeySource,
  log: Logger,
  names: { key: string; keyFile: string } = keyFlags,
): Promise<Uint8Array> {
  if ((src.key === undefined) === (src.keyFile === undefined))
    throw usage(`give exactly one of ${names.key} (a key in the keystore) or ${names.keyFile}`);
  if (src.key !== undefined) return (await openKey(g, src.key)).secretKey;
  return readPlainKey(src.keyFile as string, log);
}

/** A plain hex key file: refused when group or others may access it (as ssh does), else read with a warning. */
async function readPlainKey(file: string, log: Logger): Promise<Uint8Array> {
  let text: string;
  let mode: number;
  try {
    const fh = await open(file, 'r');
    try {
      mode = (await fh.stat()).mode;
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    throw new CliError(`cannot read key file ${file}`, Exit.KEY);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new CliError(
      `key file ${file} is accessible by group or others (mode ${(mode & 0o777).toString(8)}): ` +
        `chmod 600 it, or better import it into the keystore (medchain keys import <name> --secret-file ${file}) and use the key by name`,
      Exit.KEY,
    );
  let sk: Uint8Array;
  try {
    sk = fromHex(text.trim().replace(/^0x/, ''));
  } catch {
    sk = new Uint8Array();
  }
  if (sk.length !== 32) throw new CliError(`key file ${file} must hold a 32-byte secret key as hex`, Exit.KEY);
  log.warn(
    { file },
    'custodian key read from an UNENCRYPTED file; import it into the keystore (medchain keys import) and use it by name',
  );
  return sk;
}

async function runVault(o: {
  rpc: string;
  rpcToken?: string | undefined;
  dir: string;
  host: string;
  port: number;
  secretKey: Uint8Array;
  maxRecordBytes?: number | undefined;
  log: Logger;
}): Promise<RunningVault> {
  return startVault(
    {
      dir: resolve(o.dir),
      host: o.host,
      port: o.port,
      ...(o.maxRecordBytes === undefined ? {} : { maxRecordBytes: o.maxRecordBytes }),
    },
    {
      rpcUrl: o.rpc,
      ...(o.rpcToken === undefined ? {} : { rpcToken: o.rpcToken }),
      custodianSecretKey: o.secretKey,
      log: o.log,
    },
  );
}

export function vaultCommand(program: Command, onLongRunning: () => void): void {
  program
    .command('vault')
    .option('--dir <dir>', 'vault LevelDB directory', 'data/vault')
    .option('--host <host>', 'listen address', defaultVaultOptions.host)
    .addOption(
      new Option('--port <port>', 'listen port')
        .argParser((v) => Number(v))
        .env('MEDCHAIN_VAULT_PORT')
        .default(defaultVaultOptions.port),
    )
    .option('--key <name>', "the custodian organization's key in the keystore (asks for its password)")
    .option('--key-file <file>', 'or: a file with the secret key as plain hex, mode 0600 (unencrypted; prefer --key)')
    .action(async (o: { dir: string; host: string; port: number; key?: string; keyFile?: string }, cmd: Command) => {
      const g = globals(cmd);
      // Like the node's lines in the devnet on a terminal; JSON lines for log shippers otherwise.
      const log = createLogger('info', { module: 'vault' }, { pretty: process.stdout.isTTY === true });
      // The key (and its password) first: nothing starts without it.
      const secretKey = await loadCustodianKey(g, o, log);
      onLongRunning();
      const v = await runVault({
        rpc: g.rpc,
        rpcToken: g.rpcToken,
        dir: o.dir,
        host: o.host,
        port: o.port,
        secretKey,
        log,
      });
      process.stdout.write(`${JSON.stringify({ vault: v.url })}\n`);
      onShutdown(() => v.close());
    });
}
