import '../polyfill.js';
import { join } from 'node:path';
import { ChainExecutor, toValidatorSet } from '../../consensus/chain-executor.js';
import { ConsensusDriver, systemClock } from '../../consensus/engine/driver.js';
import { ConsensusEngine } from '../../consensus/engine/engine.js';
import { defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import { FileStore } from '../../consensus/wal/file-wal.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { TxBundler } from '../../p2p/bundle.js';
import { ConsensusNet, maxProposalBlockBytes } from '../../p2p/consensus-net.js';
import { createHost, type P2pHost } from '../../p2p/host.js';
import { defaultP2pOptions, defaultTxBundlerOptions } from '../../p2p/options.js';
import { defaultSyncOptions, syncHandler, syncProtocol } from '../../p2p/sync.js';
import { SyncManager } from '../../p2p/sync-manager.js';
import { TxGossipValidator } from '../../p2p/tx-gossip.js';
import { registerNodeApi } from '../../rpc/api/index.js';
import { defaultRpcOptions, type RateLimitOptions, type RpcAddress, RpcServer } from '../../rpc/index.js';
import { ChainState, type Indexer } from '../../state/chain.js';
import type { StateMachine } from '../../state/exec/machine.js';
import { indexOps } from '../../state/index/writer.js';
import { BLOCK_MAX_BYTES } from '../chain/block.js';
import type { Genesis } from '../chain/genesis.js';
import { toHex } from '../codec/bytes.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { signFast, verify } from '../crypto/ed25519.js';
import { VerifierPool } from '../crypto/pool/index.js';
import { isCoded } from '../errors.js';
import { AuditFeed, defaultFeedOptions, FhirHandler, scopedAuthorizer } from '../fhir/index.js';
import { NodeMetrics, type OpsServer, startOps, timedExecutor } from '../ops/index.js';
import type { SignedVote } from '../tx/bodies.js';
import { reportEvidence } from '../tx/builders.js';
import { signTx } from '../tx/sign.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../version.js';
import { inHome, loadGenesis, loadValidatorKey, type NodeConfig } from './config.js';
import { NodeEvents } from './events.js';
import { createLogger, type Logger } from './logger.js';

export interface NodeOptions {
  home: string;
  config: NodeConfig;
  machine: StateMachine;
  indexer?: Indexer;
  logger?: Logger;
  /** Override genesis (tests); default: the config's genesis file. */
  genesis?: Genesis;
}

/**
 * The composition root: builds logger → chain (LevelDB) → verifier pool →
 * mempool → executor → p2p → consensus → sync → RPC, and closes them in
 * reverse. Consensus never imports p2p: this is where they meet.
 */
export class Node {
  private closing: Promise<void> | undefined;
  private rpcServer: RpcServer | undefined;
  private rpcAddr: RpcAddress | undefined;
  private feed: AuditFeed | undefined;
  /** Prometheus metrics, when the operations listener is enabled. */
  metrics: NodeMetrics | undefined;
  private ops: { server: OpsServer; url: string } | undefined;

  private constructor(
    readonly log: Logger,
    readonly events: NodeEvents,
    readonly config: NodeConfig,
    readonly chain: ChainState,
    readonly pool: VerifierPool,
    readonly mempool: Mempool,
    readonly host: P2pHost,
    readonly driver: ConsensusDriver,
    readonly sync: SyncManager,
    private readonly bundler: TxBundler,
    readonly validatorId: Uint8Array | undefined,
  ) {}

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

  static async create(o: NodeOptions): Promise<Node> {
    const cfg = o.config;
    const log = o.logger ?? createLogger(cfg.log.level, { node: cfg.moniker });
    const metrics = cfg.ops?.enabled ? new NodeMetrics() : undefined;
    const genesis = o.genesis ?? (await loadGenesis(inHome(o.home, cfg.genesisFile)));
    const key =
      cfg.validatorKeyFile === undefined ? undefined : await loadValidatorKey(inHome(o.home, cfg.validatorKeyFile));
    const chainId = genesis.chainId;
    // The audit indexes (derived data, written in each block's batch) back the audit_, consent_ and record_ lists.
    const indexer: Indexer =
      o.indexer ?? ((ops, height, time, txs, receipts) => indexOps({ height, time, txs, receipts }, ops));
    const chain = await ChainState.open({ dir: join(o.home, 'db'), genesis, machine: o.machine, indexer });
    const pool = new VerifierPool();
    const cleanup = async (): Promise<void> => {
      await pool.close();
      await chain.close();
    };
    try {
      const mempool = new Mempool(defaultMempoolOptions, {
        chainId,
        maxTxLifetimeMs: genesis.params.maxTxLifetimeMs,
        kind: (k) => o.machine.kind(k),
        isIncluded: (h) => chain.isIncluded(h),
        senderError: (tx, body) => o.machine.senderError?.(chain.store, chainId, tx, body) ?? null,
        verifyMany: (items) => pool.verifyMany(items),
        prefetch: (txs) => {
          const keys: Uint8Array[] = [];
          for (const tx of txs) o.machine.readKeys?.(tx, keys);
          chain.store.prefetch(keys).catch((err: unknown) => log.debug({ err: String(err) }, 'prefetch failed'));
        },
        now: () => Date.now(),
      });
      // Background sweep of superseded tree nodes; never two at once, never blocking commits.
      let pruning = false;
      const maybePrune = (height: number): void => {
        const p = cfg.pruning;
        if (!p.enabled || pruning || height % p.intervalBlocks !== 0) return;
        pruning = true;
        const t0 = Date.now();
        chain
          .prune(p.keepBlocks)
          .then((r) => {
            metrics?.pruned(true, (Date.now() - t0) / 1000, r.deleted);
            log.info({ height, ...r, ms: Date.now() - t0 }, 'pruned state tree');
          })
          .catch((err: unknown) => {
            metrics?.pruned(false, (Date.now() - t0) / 1000);
            log.warn({ err: err instanceof Error ? err.message : String(err) }, 'pruning failed');
          })
          .finally(() => {
            pruning = false;
          });
      };
      // A validator puts equivocation evidence it detects on chain (an EVIDENCE tx, signed with its consensus key).
      let submit: ((bytes: Uint8Array) => Promise<unknown>) | undefined;
      const reportEquivocation = (a: SignedVote, b: SignedVote): void => {
        if (!key || !validatorId || !submit) return;
        const env = { chainId, signer: validatorId, pubkey: key.pubkey, expiresAt: Date.now() + 5 * 60_000 };
        const tx = signTx(reportEvidence(env, { a, b }), key.secretKey, signFast);
        submit(tx.bytes).catch((err: unknown) =>
          clog.warn({ err: isCoded(err) ? err.code : String(err) }, 'evidence not admitted'),
        );
      };
      const vote = (bytes: Uint8Array): Uint8Array => signingMessage(SignPurpose.VOTE, chainId, bytes);
      const verifyVote = (pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array): boolean => verify(sig, vote(bytes), pk);
      const validatorId = key ? chain.validators.find((v) => toHex(v.pubkey) === toHex(key.pubkey))?.id : undefined;
      const events = new NodeEvents();
      const executor = new ChainExecutor({
        chain,
        mempool,
        verifyMany: (items) => pool.verifyMany(items),
        kind: (k) => o.machine.kind(k),
        maxBlockBytes: maxProposalBlockBytes(defaultP2pOptions.maxGossipBytes),
        ...(validatorId ? { proposerId: validatorId } : {}),
        onCommitted: (c) => {
          events.emitCommitted(c);
          metrics?.committed(c, chain.headValidators, validatorId);
          maybePrune(c.block.header.height);
        },
        onInvalidBlock: (height, reason) => log.warn({ height, reason }, 'invalid proposal'),
      });
      const host = await createHost(
        {
          chainId,
          dataDir: o.home,
          listen: cfg.p2p.listen,
          peers: cfg.p2p.peers,
          open: cfg.p2p.open,
          allowedPeers: cfg.p2p.allowedPeers,
        },
        {
          status: () => ({
            chainId,
            genesisHash: chain.genesisHash,
            height: chain.head.height,
            protocol: PROTOCOL_VERSION,
            version: NODE_VERSION,
          }),
          log: log.child({ module: 'p2p' }),
        },
      );
      const net = new ConsensusNet(
        { maxProposalBytes: defaultP2pOptions.maxGossipBytes },
        {
          host,
          headHeight: () => chain.head.height,
          validatorSet: () => toValidatorSet(chain.validators),
          // Gossiped votes go through the verifier pool (priority: consensus latency matters).
          verify: (pk, bytes, sig) => pool.verify(vote(bytes), sig, pk, { priority: true }),
          hashBlock: (b) => executor.hashBlock(b),
          requestSync: () => catchUp(),
          onError: (err) => log.debug({ err: isCoded(err) ? err.code : String(err) }, 'consensus publish failed'),
        },
      );
      const engine = new ConsensusEngine(
        { chainId, emptyBlockIntervalMs: cfg.consensus.heartbeatMs, maxClockDriftMs: genesis.params.maxClockDriftMs },
        key
          ? { pubkey: key.pubkey, signer: { sign: (b) => signFast(vote(b), key.secretKey) }, verify: verifyVote }
          : { verify: verifyVote },
      );
      const wal = new ConsensusWal(new FileStore(join(o.home, 'wal')), BLOCK_MAX_BYTES + 4096);
      const clog = log.child({ module: 'consensus' });
      const driver = new ConsensusDriver({
        engine,
        transport: net,
        executor: metrics ? timedExecutor(executor, metrics) : executor,
        clock: systemClock,
        wal,
        onCommit: (height, cert) =>
          clog.info({ height, round: cert.round, signers: cert.signatures.length }, 'committed'),
        onError: (err) =>
          clog.error({ err: err instanceof Error ? err.message : String(err) }, 'consensus action failed'),
        onEvidence: (a) => {
          clog.warn({ kind: a.type }, 'equivocation evidence');
          if (a.type === 'evidence') reportEquivocation(a.voteA, a.voteB);
        },
      });
      net.attach(driver);
      mempool.onAdded(() => driver.txsAvailable());
      const rr = await host.reqresp(
        syncProtocol(chainId),
        syncHandler({
          headHeight: () => chain.head.height,
          getBlock: (h) => chain.blocks.getBlock(h),
          getCert: (h) => chain.blocks.getCert(h),
        }),
        {
          maxResponseBytes: defaultSyncOptions.maxResponseBytes,
        },
      );
      const sync = new SyncManager({
        rr,
        peerHeights: () => host.peerHeights(),
        headHeight: () => chain.head.height,
        commit: (height, block, cert) => driver.synced(height, block, cert),
        penalise: (peer) => host.scorer.penalise(peer, 50),
        log: log.child({ module: 'sync' }),
      });
      host.status.onStatus(() => sync.trigger());
      // Gossip or consensus shows the network is ahead: refresh peer heights (at most once a second) and sync.
      let lastRefresh = 0;
      const catchUp = (): void => {
        sync.trigger();
        if (Date.now() - lastRefresh < 1000) return;
        lastRefresh = Date.now();
        for (const peer of host.connectedPeers()) host.status.refresh(peer).catch(() => {});
      };
      const bundler = new TxBundler(defaultTxBundlerOptions, {
        publish: (b) => host.gossip.publish(host.topics.tx, b),
        onError: (err) => log.debug({ err: String(err) }, 'tx gossip publish failed'),
      });
      const txGossip = new TxGossipValidator(defaultTxBundlerOptions, { admit: (items) => mempool.addMany(items) });
      host.gossip.subscribe(host.topics.tx, { validate: (bytes) => txGossip.validate(bytes) });
      submit = (bytes) => node.submitTx(bytes);
      const node = new Node(log, events, cfg, chain, pool, mempool, host, driver, sync, bundler, validatorId);
      node.metrics = metrics;
      if (cfg.rpc.enabled) await node.startRpc();
      node.startFeed(o.home);
      if (metrics && cfg.ops)
        node.ops = await startOps(cfg.ops, metrics, {
          chain,
          host,
          sync,
          mempool,
          pool,
          dataDir: join(o.home, 'db'),
          backupTokenFile: join(o.home, 'ops-token'),
          configuredPeers: cfg.p2p.peers.length,
          heartbeatMs: cfg.consensus.heartbeatMs,
          ...(validatorId ? { validatorId } : {}),
          wsConnections: () => node.rpc?.wsConnections ?? 0,
          log: log.child({ module: 'ops' }),
        });
      await driver.start(chain.head.height + 1, toValidatorSet(chain.validators), chain.head.time);
      log.info(
        {
          chainId,
          height: chain.head.height,
          peerId: host.peerId.toString(),
          validator: validatorId ? toHex(validatorId) : null,
          rpc: node.rpcAddress?.url ?? null,
          metrics: node.opsUrl === undefined ? null : `${node.opsUrl}/metrics`,
        },
        'node started',
      );
      return node;
    } catch (err) {
      await cleanup();
      throw err;
    }
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

  private async startRpc(): Promise<void> {
    const { rpc: r } = this.config;
    const server = new RpcServer(
      {
        host: r.host,
        port: r.port,
        ...(r.token ? { authToken: r.token } : {}),
        ...(r.rateLimit === null ? { rateLimit: null } : {}),
        ...(r.rateLimit ? { rateLimit: { ...defaultRpcOptions.rateLimit, ...r.rateLimit } as RateLimitOptions } : {}),
      },
      {
        logger: this.log.child({ module: 'rpc' }),
        ...(this.metrics ? { onCall: this.metrics.rpcCall.bind(this.metrics) } : {}),
      },
    );
    const auth = registerNodeApi(server, this);
    if (this.config.fhir?.enabled !== false) {
      const log = this.log.child({ module: 'fhir' });
      server.mount(
        new FhirHandler(
          {},
          {
            api: this,
            source: { chainId: this.chain.chainId, node: this.config.moniker },
            baseUrl: () => `${this.rpcAddr?.url ?? ''}/fhir`,
            // The same sign-in and scopes as JSON-RPC: the operator token, or an auth_login session.
            authorize: scopedAuthorizer({
              api: this,
              auth,
              token: r.token ? r.token : null,
              allowedOrigins: server.opts.allowedOrigins,
              logger: log,
            }),
            logger: log,
          },
        ),
      );
    }
    this.rpcAddr = await server.listen();
    this.rpcServer = server;
  }

  /** The ITI-20 audit feed, when config.fhir.feed.url is set. */
  private startFeed(home: string): void {
    const f = this.config.fhir?.feed;
    if (f === undefined || f === null || !f.url) return;
    const opts = { ...defaultFeedOptions, ...f };
    this.feed = new AuditFeed(
      { ...opts, cursorFile: inHome(home, opts.cursorFile) },
      {
        api: this,
        source: { chainId: this.chain.chainId, node: this.config.moniker },
        logger: this.log.child({ module: 'fhir-feed' }),
      },
    );
    this.metrics?.attachFeed(this.feed, () => this.chain.head.height);
    this.feed.start();
  }

  /** Admits a transaction submitted by a client and gossips it to peers. */
  async submitTx(bytes: Uint8Array): Promise<Uint8Array> {
    const hash = await this.mempool.add(bytes);
    this.metrics?.txSubmitted(hash);
    this.bundler.add(bytes);
    return hash;
  }

  /** Closes in reverse order of creation; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.feed?.close();
      await this.ops?.server.close();
      await this.rpc?.close();
      await this.sync.close();
      await this.driver.close();
      await this.bundler.close();
      await this.host.close();
      await this.pool.close();
      await this.chain.close();
      this.log.info({}, 'node stopped');
    })();
    return this.closing;
  }
}
