/** `medchain backup` and `medchain restore`: the operator's side of src/ops/backup.ts and restore.ts. */
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import { genesisHash } from '../chain/genesis.js';
import { toHex } from '../codec/bytes.js';
import { CONFIG_FILE, inHome, loadConfig, loadGenesis, saveConfig } from '../node/config.js';
import type { BackupManifest } from '../ops/backup-format.js';
import { restoreBackup, verifyBackupFile } from '../ops/restore.js';
import { CliError, Exit, emit, fields, globals, usage } from './output.js';

const DATA_FILE = 'chain.mcb';
const MANIFEST_FILE = 'manifest.json';

const human = (m: BackupManifest, dir: string): string =>
  fields({ backup: dir, chain: m.chainId, height: m.height, stateRoot: `0x${m.stateRoot}`, entries: m.entries });

/** Streams a backup from a running node's ops listener into `out`, verifies it, then adds config and genesis. */
export async function backupNode(o: {
  ops: string;
  token?: string;
  out: string;
  home?: string;
}): Promise<BackupManifest> {
  const out = resolve(o.out);
  if (existsSync(join(out, DATA_FILE))) throw usage(`${out} already holds a backup`);
  await mkdir(out, { recursive: true });
  let res: Response;
  try {
    res = await fetch(`${o.ops.replace(/\/$/, '')}/backup`, {
      method: 'POST',
      headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
    });
  } catch {
    throw new CliError(`the node's ops listener at ${o.ops} could not be reached`, Exit.UNREACHABLE);
  }
  if (res.status !== 200 || res.body === null)
    throw new CliError(`backup refused: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`, Exit.ERROR);
  const partial = join(out, `${DATA_FILE}.partial`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(partial));
  let m: BackupManifest;
  try {
    m = await verifyBackupFile(partial);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await rename(partial, join(out, DATA_FILE));
  await writeFile(join(out, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
  if (o.home !== undefined) {
    // Config and genesis, never keys: a backup may travel; keys stay with their operator.
    const home = resolve(o.home);
    const cfg = await loadConfig(home);
    await copyFile(join(home, CONFIG_FILE), join(out, CONFIG_FILE));
    await copyFile(inHome(home, cfg.genesisFile), join(out, 'genesis.json'));
  }
  return m;
}

/**
 * Restores `<home>/db` from a backup directory. A home without config.json gets the backup's
 * config and genesis; the genesis must be the backup's chain's, or nothing is written.
 */
export async function restoreNode(o: { from: string; home: string; force?: boolean }): Promise<BackupManifest> {
  const from = resolve(o.from);
  const home = resolve(o.home);
  const manifest = JSON.parse(await readFile(join(from, MANIFEST_FILE), 'utf8')) as BackupManifest;
  await mkdir(home, { recursive: true });
  if (!existsSync(join(home, CONFIG_FILE))) {
    if (!existsSync(join(from, CONFIG_FILE))) throw usage(`${home} has no config.json and the backup holds none`);
    const cfg = JSON.parse(await readFile(join(from, CONFIG_FILE), 'utf8'));
    await copyFile(join(from, 'genesis.json'), join(home, 'genesis.json'));
    await saveConfig(home, { ...cfg, genesisFile: 'genesis.json' });
  }
  const cfg = await loadConfig(home);
  const g = await loadGenesis(inHome(home, cfg.genesisFile));
  if (toHex(genesisHash(g)) !== manifest.genesisHash)
    throw usage(`the genesis of ${home} is not the backup's (chain ${manifest.chainId})`);
  return restoreBackup(join(from, DATA_FILE), home, { force: o.force === true });
}

export function opsCommands(program: Command): void {
  program
    .command('backup')
    .requiredOption('--out <dir>', 'directory to write the backup into (chain.mcb, manifest.json)')
    .addOption(
      new Option('--ops <url>', "the node's operations listener").env('MEDCHAIN_OPS').default('http://127.0.0.1:9545'),
    )
    .option(
      '--home <dir>',
      "the node's home: its backup token (ops-token) and, into the backup, config.json and genesis (never keys)",
    )
    .option('--token-file <file>', 'the ops.token of the node (else MEDCHAIN_OPS_TOKEN, else <home>/ops-token)')
    .action(async (o: { out: string; ops: string; home?: string; tokenFile?: string }, cmd: Command) => {
      // ops.token if the node has one, else the per-start token the node keeps in its home.
      const tokenFile =
        o.tokenFile ??
        (o.home !== undefined && !process.env.MEDCHAIN_OPS_TOKEN ? join(o.home, 'ops-token') : undefined);
      const token =
        tokenFile !== undefined ? (await readFile(tokenFile, 'utf8')).trim() : process.env.MEDCHAIN_OPS_TOKEN;
      const m = await backupNode({
        ops: o.ops,
        out: o.out,
        ...(token ? { token } : {}),
        ...(o.home ? { home: o.home } : {}),
      });
      emit(globals(cmd), m, () => human(m, resolve(o.out)));
    });
  program
    .command('restore')
    .requiredOption('--from <dir>', 'backup directory (from medchain backup)')
    .option('--home <dir>', 'node home directory', 'data/node')
    .option('--force', 'replace an existing database', false)
    .action(async (o: { from: string; home: string; force: boolean }, cmd: Command) => {
      const m = await restoreNode(o);
      emit(globals(cmd), m, () => human(m, resolve(o.home)));
    });
}
