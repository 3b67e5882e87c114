import { chmod, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type Genesis, type GenesisJson, genesisFromJson } from '../chain/genesis.js';
import { fromHex, toHex } from '../codec/bytes.js';
import { publicKeyOf } from '../crypto/ed25519.js';
import { MedchainError } from '../errors.js';
import type { FeedOptions } from '../fhir/options.js';
import { defaultOpsOptions, type OpsOptions } from '../ops/options.js';

export const ConfigErrorCode = {
  INVALID: 'CONFIG_INVALID',
  MISSING: 'CONFIG_MISSING',
} as const;

/** A node's config.json, inside its home directory. Paths are relative to home. */
export interface NodeConfig {
  moniker: string;
  genesisFile: string;
  /** Consensus key file; absent for a full (non-validator) node. */
  validatorKeyFile?: string;
  p2p: {
    listen: string[];
    /** Peers to keep connections to: multiaddrs ending in /p2p/<peer id>. */
    peers: string[];
    /** Open mode admits any peer (read-only full nodes); otherwise only allowedPeers. */
    open: boolean;
    allowedPeers: string[];
  };
  rpc: {
    enabled: boolean;
    host: string;
    port: number;
    token?: string;
    /** Per-client limit (calls/s, burst); null disables it (e.g. a trusted load generator). */
    rateLimit?: { perSecond: number; burst: number } | null;
    /** Browser origins allowed besides the node's own (e.g. the console reached under a DNS name). */
    allowedOrigins?: string[];
  };
  /** Superseded state-tree nodes are swept every intervalBlocks; proofs stay available for keepBlocks. */
  pruning: { enabled: boolean; keepBlocks: number; intervalBlocks: number };
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' };
  /**
   * The FHIR facade at <rpc url>/fhir (on with RPC unless enabled is false) and the ITI-20 audit
   * feed (off unless feed.url is set; cursorFile is relative to home). See docs/FHIR.md.
   */
  fhir?: { enabled?: boolean; feed?: (Partial<FeedOptions> & { url: string }) | null };
  /** Operations listener (metrics, health, backup); off unless enabled. */
  ops?: OpsOptions;
  /** The custodian vault beside the node (reads the chain over this node's RPC); off unless enabled. */
  vault?: VaultConfig;
  /** Snapshot join for a fresh node (off unless join is true); see docs/OPERATIONS.md. */
  snapshot?: Partial<SnapshotConfig>;
}

/** config.json `snapshot`: join from peers' state instead of replaying history (fresh nodes only). */
export interface SnapshotConfig {
  join: boolean;
  /** Below this peer height a fresh node replays blocks instead (cheap on a short chain). */
  minHeight: number;
  /** How long to wait for a peer's status before giving up on a snapshot (then the node syncs blocks). */
  waitPeersMs: number;
}

export const defaultSnapshotConfig: SnapshotConfig = { join: false, minHeight: 1, waitPeersMs: 30_000 };

/** config.json `vault`: served by the node when enabled; the custodian key is opened by the caller. */
export interface VaultConfig {
  enabled: boolean;
  port?: number;
  host?: string;
  /** LevelDB directory (relative to home), default vault/. */
  dir?: string;
  /** Name of the custodian organization's key in the keystore (--keystore, MEDCHAIN_KEYSTORE). */
  key?: string;
  /** Or: a file holding the secret key as plain hex (relative to home, mode 0600). Prefer `key`. */
  keyFile?: string;
  maxRecordBytes?: number;
}

/** Why the config cannot run, or null: checked by the CLI before it asks for a password, and by the node. */
export function configProblem(cfg: NodeConfig): string | null {
  if (cfg.vault?.enabled === true && !cfg.rpc.enabled)
    return 'vault.enabled needs rpc.enabled (the vault reads the chain)';
  return null;
}

/**
 * config.json keys that no longer do anything, logged at start so an operator is not misled:
 * the empty-block interval is the chain's (genesis params.emptyBlockIntervalMs), one for all nodes.
 */
export function ignoredConfigKeys(cfg: object): string[] {
  const c = (cfg as { consensus?: { heartbeatMs?: unknown } }).consensus;
  return c?.heartbeatMs === undefined ? [] : ['consensus.heartbeatMs'];
}

export const defaultNodeConfig: NodeConfig = {
  moniker: 'medchain-node',
  genesisFile: 'genesis.json',
  p2p: { listen: ['/ip4/127.0.0.1/tcp/26656'], peers: [], open: false, allowedPeers: [] },
  rpc: { enabled: true, host: '127.0.0.1', port: 8545 },
  pruning: { enabled: true, keepBlocks: 1000, intervalBlocks: 500 },
  log: { level: 'info' },
  ops: defaultOpsOptions,
};

export const CONFIG_FILE = 'config.json';

/** Fault-test hook: shifts the node's clock by this many ms (read once at start). */
export const CLOCK_OFFSET_ENV = 'MEDCHAIN_CLOCK_OFFSET_MS';
const MAX_CLOCK_OFFSET_MS = 3_600_000;

/** The injected clock offset: 0 when unset; an integer within ±1 h, else CONFIG_INVALID. */
export function clockOffsetFromEnv(env: Record<string, string | undefined>): number {
  const v = env[CLOCK_OFFSET_ENV];
  if (v === undefined || v === '') return 0;
  const n = /^-?\d{1,7}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_CLOCK_OFFSET_MS)
    throw new MedchainError(ConfigErrorCode.INVALID, { env: CLOCK_OFFSET_ENV });
  return n;
}

export async function loadConfig(home: string): Promise<NodeConfig> {
  let raw: string;
  try {
    raw = await readFile(join(home, CONFIG_FILE), 'utf8');
  } catch {
    throw new MedchainError(ConfigErrorCode.MISSING, { file: join(home, CONFIG_FILE) });
  }
  let parsed: Partial<NodeConfig>;
  try {
    parsed = JSON.parse(raw) as Partial<NodeConfig>;
  } catch {
    throw new MedchainError(ConfigErrorCode.INVALID, { file: CONFIG_FILE });
  }
  return {
    ...defaultNodeConfig,
    ...parsed,
    p2p: { ...defaultNodeConfig.p2p, ...parsed.p2p },
    rpc: { ...defaultNodeConfig.rpc, ...parsed.rpc },
    pruning: { ...defaultNodeConfig.pruning, ...parsed.pruning },
    log: { ...defaultNodeConfig.log, ...parsed.log },
    ops: { ...defaultOpsOptions, ...parsed.ops },
  };
}

/**
 * Writes a file only its owner may read (0600, also when it already existed with a wider mode):
 * config.json may hold the RPC token, key files hold keys.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

export const saveConfig = (home: string, cfg: NodeConfig): Promise<void> =>
  writePrivateFile(join(home, CONFIG_FILE), `${JSON.stringify(cfg, null, 2)}\n`);

export const inHome = (home: string, p: string): string => (isAbsolute(p) ? p : resolve(home, p));

export async function loadGenesis(file: string): Promise<Genesis> {
  try {
    return genesisFromJson(JSON.parse(await readFile(file, 'utf8')) as GenesisJson);
  } catch {
    throw new MedchainError(ConfigErrorCode.INVALID, { file });
  }
}

/** The consensus key file (like CometBFT's priv_validator_key.json): keep it 0600. */
export interface ValidatorKey {
  secretKey: Uint8Array;
  pubkey: Uint8Array;
}

export async function loadValidatorKey(file: string): Promise<ValidatorKey> {
  try {
    const j = JSON.parse(await readFile(file, 'utf8')) as { secretKey: string };
    const secretKey = fromHex(j.secretKey);
    return { secretKey, pubkey: publicKeyOf(secretKey) };
  } catch {
    throw new MedchainError(ConfigErrorCode.INVALID, { file });
  }
}

export const saveValidatorKey = (file: string, sk: Uint8Array): Promise<void> =>
  writePrivateFile(file, `${JSON.stringify({ secretKey: toHex(sk), pubkey: toHex(publicKeyOf(sk)) }, null, 2)}\n`);
