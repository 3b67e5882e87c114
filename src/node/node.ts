import { VerifiedTxs } from '../../consensus/verified-txs.js';
import '../polyfill.js';
import { randomBytes } from 'node:crypto';
import { toValidatorSet } from '../../consensus/chain-executor.js';
import { type ConsensusDriver, offsetClock } from '../../consensus/engine/driver.js';
import type { Mempool } from '../../consensus/mempool.js';
import type { TxBundler } from '../../p2p/bundle.js';
import type { P2pHost } from '../../p2p/host.js';
import type { SyncManager } from '../../p2p/sync-manager.js';
import type { RpcAddress, RpcServer } from '../../rpc/index.js';
import type { ChainState, Indexer } from '../../state/chain.js';
import type { StateMachine } from '../../state/exec/machine.js';
import type { Genesis } from '../chain/genesis.js';
import { toHex } from '../codec/bytes.js';
import type { VerifierPool } from '../crypto/pool/index.js';
import { MedchainError } from '../errors.js';
import { NodeMetrics, type OpsServer } from '../ops/index.js';
import type { RunningVault } from '../vault/index.js';
import {
  createConsensus,
  createExecutor,
  createMempool,
  openChain,
  startHost,
  startSync,
  startTxGossip,
  type Wiring,
} from './build.js';
import { followChainPeers } from './chain-peers.js';
import {
  ConfigErrorCode,
  configProblem,
  ignoredConfigKeys,
  inHome,
  loadGenesis,
  loadValidatorKey,
  type NodeConfig,
  type ValidatorKey,
} from './config.js';
import { NodeEvents } from './events.js';
import { Closers } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { type NodeOptionOverrides, nodeOptions } from './options.js';
import { ownValidatorId } from './own-validator.js';
import { startFeed, startNodeVault, startOpsListener, startRpc } from './services.js';
import { joinBySnapshotIfFresh, serveSnapshots } from './snapshot-join.js';

export interface NodeOptions {
  home: string;
  config: NodeConfig;
  machine: StateMachine;
  indexer?: Indexer;
  logger?: Logger;
  /** Override genesis (tests); default: the config's genesis file. */
  genesis?: Genesis;
  /** The custodian organization's secret key, needed when config.vault.enabled (the CLI opens it from the keystore). */
  vaultKey?: Uint8Array;
  /** Per-subsystem overrides of the defaults and config.json (tests, benchmarks). */
  options?: NodeOptionOverrides;
  /** Shifts this node's clock (consensus block times, tx expiry): injected skew for fault tests. */
  clockOffsetMs?: number;
}

/** What the node is made of, in the order it is built. */
interface Parts {
  chain: ChainState;
  pool: VerifierPool;
  mempool: Mempool;
  events: NodeEvents;
  host: P2pHost;
  driver: ConsensusDriver;
  sync: SyncManager;
  bundler: TxBundler;
  ownValidator: () => Uint8Array | undefined;
}

/**
 * The composition root: builds chain (LevelDB) → verifier pool → mempool →
 * executor → p2p → consensus → sync → tx gossip → RPC, feed, ops, vault
 * (build.ts, services.ts), each with its options from `nodeOptions`, a child
 * logger and the node's AbortSignal, and each registering its closer as soon
 * as it exists. `close()` aborts the signal and runs the closers in reverse,
 * all of them even if one throws; a start that fails closes what it opened.
 */
export class Node {
  private closing: Promise<void> | undefined;
  private rpcServer: RpcServer | undefined;
  private rpcAddr: RpcAddress | undefined;
  private ops: { server: OpsServer; url: string } | undefined;
  private runningVault: RunningVault | undefined;
  readonly chain: ChainState;
  readonly pool: VerifierPool;
  readonly mempool: Mempool;
  readonly events: NodeEvents;
  readonly host: P2pHost;
  readonly driver: ConsensusDriver;
  readonly sync: SyncManager;
  private readonly bundler: TxBundler;
  private readonly ownValidator: () => Uint8Array | undefined;

  private constructor(
    private readonly w: Wiring,
    private readonly ctl: AbortController,
    p: Parts,
  ) {
    ({ chain: this.chain, pool: this.pool, mempool: this.mempool, events: this.events, host: this.host } = p);
    ({ driver: this.driver, sync: this.sync, bundler: this.bundler, ownValidator: this.ownValidator } = p);
  }

  /** This node's organization while its consensus key is in the head's validator set. */
  get validatorId(): Uint8Array | undefined {
    return this.ownValidator();
  }

  get log(): Logger {
    return this.w.log;
  }

  get config(): NodeConfig {
    return this.w.cfg;
  }

  /** Prometheus metrics, when the operations listener is enabled. */
  get metrics(): NodeMetrics | undefined {
    return this.w.metrics;
  }

  get rpc(): RpcServer | undefined {
    return this.rpcServer;
  }

  get rpcAddress(): RpcAddress | undefined {
    return this.rpcAddr;
  }

  /** The operations listener's URL (metrics, health, backup), if enabled. */
  get opsUrl(): string | undefined {
    return this.ops?.url;
  }

  /** The custodian vault, when the node serves one (config.vault.enabled). */
  get vault(): RunningVault | undefined {
    return this.runningVault;
  }

  static async create(o: NodeOptions): Promise<Node> {
    const cfg = checkedConfig(o);
    const log = o.logger ?? createLogger(cfg.log.level, { node: cfg.moniker });
    const ctl = new AbortController();
    const closers = new Closers();
    try {
      const genesis = o.genesis ?? (await loadGenesis(inHome(o.home, cfg.genesisFile)));
      for (const k of ignoredConfigKeys(cfg))
        log.warn(
          { key: k },
          'config.json key ignored: the empty-block interval is genesis params.emptyBlockIntervalMs',
        );
      const key =
        cfg.validatorKeyFile === undefined ? undefined : await loadValidatorKey(inHome(o.home, cfg.validatorKeyFile));
      const w: Wiring = {
        home: o.home,
        cfg,
        opts: nodeOptions(cfg, o.options),
        genesis,
        machine: o.machine,
        log,
        signal: ctl.signal,
        closers,
        metrics: cfg.ops?.enabled ? new NodeMetrics() : undefined,
        clock: offsetClock(o.clockOffsetMs ?? 0),
      };
      const node = new Node(w, ctl, await build(w, key, o.indexer, (bytes) => node.submitTx(bytes)));
      await node.start(o.vaultKey);
      return node;
    } catch (err) {
      ctl.abort();
      await closers.closeAll().catch((e: unknown) => log.error({ err: String(e) }, 'closing after a failed start'));
      throw err;
    }
  }

  /** Listeners, then consensus: nothing is proposed before the node can be reached. */
  private async start(vaultKey: Uint8Array | undefined): Promise<void> {
    const { w } = this;
    if (w.cfg.rpc.enabled) ({ server: this.rpcServer, address: this.rpcAddr } = await startRpc(w, this));
    startFeed(w, this);
    this.ops = await startOpsListener(w, this);
    this.runningVault = await startNodeVault(w, this.rpcAddr, vaultKey);
    const { chain, driver, host, validatorId } = this;
    await driver.start(chain.head.height + 1, toValidatorSet(chain.validators), chain.head.time);
    this.log.info(
      {
        chainId: chain.chainId,
        height: chain.head.height,
        peerId: host.peerId.toString(),
        validator: validatorId ? toHex(validatorId) : null,
        rpc: this.rpcAddr?.url ?? null,
        metrics: this.opsUrl === undefined ? null : `${this.opsUrl}/metrics`,
        vault: this.runningVault?.url ?? null,
      },
      'node started',
    );
  }

  peers(): Array<{ peerId: string; height: number | null }> {
    const heights = this.host.peerHeights();
    return this.host.connectedPeers().map((peerId) => ({ peerId, height: heights.get(peerId) ?? null }));
  }

  syncing(): boolean {
    return this.sync.syncing;
  }

  mempoolSize(): number {
    return this.mempool.size;
  }

  /** Admits a transaction submitted by a client and gossips it to peers. */
  async submitTx(bytes: Uint8Array): Promise<Uint8Array> {
    const hash = await this.mempool.add(bytes);
    this.metrics?.txSubmitted(hash);
    this.bundler.add(bytes);
    return hash;
  }

  /**
   * Aborts the node's signal, then closes every subsystem in reverse order of
   * creation, each even if another fails (NODE_CLOSE_FAILED names those). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ctl.abort();
      try {
        await this.w.closers.closeAll();
      } finally {
        this.log.info({}, 'node stopped');
      }
    })();
    return this.closing;
  }
}

/** The config, refused if it cannot run; a vault gets an operator token for this run if the node has none. */
function checkedConfig(o: NodeOptions): NodeConfig {
  const problem = configProblem(o.config);
  if (problem !== null) throw new MedchainError(ConfigErrorCode.INVALID, { reason: problem });
  if (o.config.vault?.enabled !== true) return o.config;
  if (o.vaultKey === undefined)
    throw new MedchainError(ConfigErrorCode.INVALID, { reason: 'vault.enabled needs the custodian key' });
  // The vault reads personal data (access checks, pointers) as the node's operator: in memory only.
  if (o.config.rpc.token !== undefined) return o.config;
  return { ...o.config, rpc: { ...o.config.rpc, token: randomBytes(32).toString('hex') } };
}

/** Chain, pool, mempool, executor, p2p, consensus, sync and tx gossip, wired to each other. */
async function build(
  w: Wiring,
  key: ValidatorKey | undefined,
  indexer: Indexer | undefined,
  submit: (bytes: Uint8Array) => Promise<unknown>,
): Promise<Parts> {
  // Snapshot join (a fresh node, config.snapshot.join): runs before the chain opens.
  await joinBySnapshotIfFresh({ home: w.home, config: w.cfg, genesis: w.genesis, machine: w.machine, log: w.log });
  const { chain, pool } = await openChain(w, indexer);
  // Signatures verified in proposals' bodies, so their gossip copies and re-proposals are not verified again.
  const verified = new VerifiedTxs(2 * w.genesis.params.maxBlockTxs);
  const mempool = createMempool(w, chain, pool, verified);
  const events = new NodeEvents();
  const validatorId = ownValidatorId(chain, key?.pubkey);
  const executor = createExecutor(w, { chain, mempool, pool, events, validatorId, verified });
  const host = await startHost(w, chain);
  // Permissioned: the allowlist follows the chain's validator nodes, updated at every commit.
  if (!w.cfg.p2p.open) events.on('committed', followChainPeers(w.cfg.p2p.allowedPeers, chain, host));
  // Serve snapshots to joining nodes (LevelDB snapshots, released when idle, and before the db closes).
  w.closers.add('snapshots', await serveSnapshots(host, chain));
  // Consensus asks sync to catch up, and sync commits through consensus: bound once both exist.
  let catchUp = (): void => {};
  const driver = createConsensus(w, {
    chain,
    pool,
    host,
    executor,
    key,
    validatorId,
    catchUp: () => catchUp(),
    submit,
    events,
  });
  const s = await startSync(w, { host, chain, driver });
  catchUp = s.catchUp;
  mempool.onAdded(() => driver.txsAvailable());
  const bundler = startTxGossip(w, host, mempool);
  return { chain, pool, mempool, events, host, driver, sync: s.sync, bundler, ownValidator: validatorId };
}
