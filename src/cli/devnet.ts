import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { defaultChainParams, type Genesis, identityId } from '../chain/genesis.js';
import { fromHex, toHex } from '../codec/bytes.js';
import { publicKeyOf, randomSecretKey } from '../crypto/ed25519.js';
import { defaultNodeConfig, loadConfig, saveConfig, writePrivateFile } from '../node/config.js';
import { initHome, writeGenesis } from '../node/home.js';
import { formatLogLine } from '../node/logger.js';
import { defaultOpsOptions } from '../ops/options.js';
import { levelOf, StatusBoard } from './devnet-status.js';
import { onShutdown } from './shutdown.js';

export interface DevnetOptions {
  home: string;
  validators: number;
  fresh: boolean;
  basePort: number;
  rpcPort: number;
  chainId: string;
  /** Block heartbeat when idle (consent expiry needs time to advance). */
  heartbeatMs: number;
  /** First operations (metrics/health) port; none when absent. */
  opsPort?: number;
  /** Every node log line; else one status line per node, plus the nodes' warnings and errors. */
  verbose?: boolean;
  log: (line: string) => void;
}

export const defaultDevnetOptions: Omit<DevnetOptions, 'log'> = {
  home: 'data/devnet',
  validators: 4,
  fresh: false,
  basePort: 26600,
  rpcPort: 8545,
  chainId: 'medchain-devnet',
  heartbeatMs: 2000,
  opsPort: 9545,
};

interface DevnetManifest {
  chainId: string;
  /** The nodes' JSON-RPC operator token (reads everything; clients take it from MEDCHAIN_RPC_TOKEN). */
  rpcToken?: string;
  nodes: Array<{ name: string; home: string; rpc: string; metrics?: string; peerId: string; orgSecretKey: string }>;
}

const MANIFEST = 'devnet.json';
const cli = fileURLToPath(new URL('../cli.js', import.meta.url));

/** Creates keys, genesis and configs for n validators on loopback. */
export async function createDevnet(o: Omit<DevnetOptions, 'log'>): Promise<DevnetManifest> {
  const home = resolve(o.home);
  const nodes: DevnetManifest['nodes'] = [];
  const genesis: Genesis = {
    chainId: o.chainId,
    time: Date.now(),
    // The block interval when idle is the chain's: every node proposes and times out at its pace.
    params: { ...defaultChainParams, emptyBlockIntervalMs: o.heartbeatMs },
    organizations: [],
    validators: [],
  };
  const peers: string[] = [];
  // Personal data is never open without a token: the devnet's nodes share one operator token.
  const rpcToken = randomBytes(32).toString('hex');
  const prepared: Array<{ dir: string; peerId: string; p2p: string }> = [];
  for (let i = 0; i < o.validators; i++) {
    const name = `node${i}`;
    const dir = join(home, name);
    const p2p = `/ip4/127.0.0.1/tcp/${o.basePort + i}`;
    const { peerId, validatorKey } = await initHome(
      dir,
      {
        moniker: name,
        genesisFile: '../genesis.json',
        p2p: { ...defaultNodeConfig.p2p, listen: [p2p] },
        rpc: { ...defaultNodeConfig.rpc, port: o.rpcPort + i, token: rpcToken },
        ...(o.opsPort === undefined ? {} : { ops: { ...defaultOpsOptions, enabled: true, port: o.opsPort + i } }),
      },
      { validator: true },
    );
    // Each validator is an organization (a hospital) with its own identity key.
    const orgSecretKey = randomSecretKey();
    const orgPub = publicKeyOf(orgSecretKey);
    genesis.organizations.push({ pubkey: orgPub, name: `Hospital ${String.fromCharCode(65 + i)}` });
    genesis.validators.push({ org: identityId(orgPub), pubkey: publicKeyOf(validatorKey as Uint8Array), power: 1 });
    nodes.push({
      name,
      home: dir,
      rpc: `http://127.0.0.1:${o.rpcPort + i}`,
      ...(o.opsPort === undefined ? {} : { metrics: `http://127.0.0.1:${o.opsPort + i}/metrics` }),
      peerId,
      orgSecretKey: toHex(orgSecretKey),
    });
    prepared.push({ dir, peerId, p2p });
    peers.push(`${p2p}/p2p/${peerId}`);
  }
  await writeGenesis(join(home, 'genesis.json'), genesis);
  // Every validator keeps connections to the others and admits only them (permissioned).
  for (const [i, p] of prepared.entries()) {
    const cfg = await loadConfig(p.dir);
    cfg.p2p.peers = peers.filter((_, j) => j !== i);
    cfg.p2p.allowedPeers = prepared.map((q) => q.peerId);
    await saveConfig(p.dir, cfg);
  }
  const manifest: DevnetManifest = { chainId: o.chainId, rpcToken, nodes };
  await writePrivateFile(join(home, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads the devnet manifest (node homes, RPC URLs, organization keys). */
export async function readDevnet(home: string): Promise<DevnetManifest> {
  return JSON.parse(await readFile(join(resolve(home), MANIFEST), 'utf8')) as DevnetManifest;
}

export const devnetOrgKey = (m: DevnetManifest, i: number): Uint8Array =>
  fromHex((m.nodes[i] as DevnetManifest['nodes'][0]).orgSecretKey);

/** `medchain devnet`: creates (or resumes) a devnet and runs one process per validator until Ctrl+C. */
export async function runDevnet(o: DevnetOptions): Promise<void> {
  const home = resolve(o.home);
  if (o.fresh) await rm(home, { recursive: true, force: true });
  let manifest: DevnetManifest;
  if (existsSync(join(home, MANIFEST))) {
    manifest = await readDevnet(home);
    o.log(`resuming devnet ${manifest.chainId} in ${home} (--fresh to start over)`);
  } else {
    manifest = await createDevnet(o);
    o.log(`created devnet ${manifest.chainId} with ${o.validators} validators in ${home}`);
    if (o.fresh)
      o.log(
        'a new chain: hospital keys from an earlier devnet no longer exist on it; `medchain keys import-devnet --force` replaces them, and patients and practitioners register again',
      );
  }
  // The calm terminal: a status board, and only warnings and errors from the nodes (--verbose: all).
  const board = o.verbose === true ? undefined : new StatusBoard(manifest.nodes, manifest.rpcToken);
  const say = (line: string): void => (board === undefined ? o.log(line) : board.log(line));
  const children: ChildProcess[] = manifest.nodes.map((n) => {
    // Own process group (Ctrl+C reaches only the launcher, which stops the nodes in order) and an
    // IPC channel whose loss tells a node its launcher died.
    const child = spawn(process.execPath, [cli, 'start', '--home', n.home], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        // Lines that are not JSON (a crash's stack trace) always get through.
        if (board === undefined || (levelOf(line) ?? 60) >= 40) say(formatLogLine(n.name, line));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code, signal) => say(`${n.name} exited (${signal ?? code})`));
    return child;
  });
  o.log('JSON-RPC endpoints:');
  for (const n of manifest.nodes) o.log(`  ${n.name}  ${n.rpc}${n.metrics ? `  metrics ${n.metrics}` : ''}`);
  for (const n of manifest.nodes) o.log(`  ${n.name}  console ${n.rpc}/console/`);
  if (manifest.rpcToken !== undefined)
    o.log(`Operator token (reads everything): export MEDCHAIN_RPC_TOKEN=${manifest.rpcToken}`);
  o.log(
    board === undefined
      ? 'Ctrl+C stops all nodes.'
      : 'Ctrl+C stops all nodes. One status line per node below; --verbose prints every log line.',
  );
  board?.start();
  const exited = children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))));
  onShutdown(async () => {
    board?.stop();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(exited);
  }, o.log);
  await Promise.all(exited);
}

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

export function devnetCommand(program: Command, longRunning: () => void): void {
  const d = defaultDevnetOptions;
  program
    .command('devnet')
    .addOption(
      new Option('--validators <n>', 'number of validators')
        .argParser(int)
        .env('MEDCHAIN_DEVNET_VALIDATORS')
        .default(d.validators),
    )
    .option('--home <dir>', 'devnet directory', d.home)
    .option('--fresh', 'delete the devnet directory and start a new chain', false)
    .addOption(
      new Option('--base-port <port>', 'first p2p port')
        .argParser(int)
        .env('MEDCHAIN_DEVNET_P2P_PORT')
        .default(d.basePort),
    )
    .addOption(
      new Option('--rpc-port <port>', 'first JSON-RPC port')
        .argParser(int)
        .env('MEDCHAIN_DEVNET_RPC_PORT')
        .default(d.rpcPort),
    )
    .addOption(
      new Option('--ops-port <port>', 'first operations port (metrics, /livez, /readyz, backups)')
        .argParser(int)
        .env('MEDCHAIN_DEVNET_OPS_PORT')
        .default(d.opsPort),
    )
    .option('--heartbeat-ms <ms>', 'block interval when idle', int, d.heartbeatMs)
    .option('--verbose', "print every node's log lines instead of one status line per node", false)
    .action(async (o: Omit<DevnetOptions, 'log' | 'chainId'>) => {
      longRunning();
      await runDevnet({ ...d, ...o, log: (l) => process.stdout.write(`${l}\n`) });
    });
}
