import { join } from 'node:path';
import { ChainExecutor, toValidatorSet } from '../../consensus/chain-executor.js';
import { type Clock, ConsensusDriver } from '../../consensus/engine/driver.js';
import { ConsensusEngine } from '../../consensus/engine/engine.js';
import { Mempool } from '../../consensus/mempool.js';
import type { VerifiedTxs } from '../../consensus/verified-txs.js';
import { FileStore } from '../../consensus/wal/file-wal.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { TxBundler } from '../../p2p/bundle.js';
import { ConsensusNet, maxProposalBlockBytes } from '../../p2p/consensus-net.js';
import { createHost, type P2pHost } from '../../p2p/host.js';
import { syncHandler, syncProtocol } from '../../p2p/sync.js';
import { SyncManager } from '../../p2p/sync-manager.js';
import { TxGossipValidator } from '../../p2p/tx-gossip.js';
import { ChainState, type Indexer } from '../../state/chain.js';
import type { StateMachine } from '../../state/exec/machine.js';
import { ensureIndexVersion, INDEX_VERSION, indexVersion } from '../../state/index/version.js';
import { indexOps } from '../../state/index/writer.js';
import { BLOCK_MAX_BYTES } from '../chain/block.js';
import { emptyBlockIntervalMs, type Genesis } from '../chain/genesis.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { signFast, verify } from '../crypto/ed25519.js';
import { VerifierPool } from '../crypto/pool/index.js';
import { isCoded, isDiskFull } from '../errors.js';
import { type NodeMetrics, timedExecutor } from '../ops/index.js';
import type { SignedVote } from '../tx/bodies.js';
import { reportEvidence } from '../tx/builders.js';
import { signTx } from '../tx/sign.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../version.js';
import type { NodeConfig, ValidatorKey } from './config.js';
import type { NodeEvents } from './events.js';
import type { Closers } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { NodeSubsystemOptions } from './options.js';

/**
 * What every builder below gets: its options, a logger (each takes a child with
 * its `module`), the node's shutdown signal, and the closers, where it registers
 * each resource as soon as the resource exists.
 */
export interface Wiring {
  readonly home: string;
  readonly cfg: NodeConfig;
  readonly opts: NodeSubsystemOptions;
  readonly genesis: Genesis;
  readonly machine: StateMachine;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly closers: Closers;
  readonly metrics: NodeMetrics | undefined;
  /** The consensus and mempool clock: the system clock, shifted by an injected skew in fault tests. */
  readonly clock: Clock;
}

const errText = (err: unknown): string => (isCoded(err) ? err.code : err instanceof Error ? err.message : String(err));

/** LevelDB state and the signature verifier pool, the first resources opened and the last closed. */
export async function openChain(w: Wiring, indexer?: Indexer): Promise<{ chain: ChainState; pool: VerifierPool }> {
  // The audit indexes (derived data, written in each block's batch) back the audit_, consent_ and record_ lists.
  const index: Indexer =
    indexer ?? ((ops, height, time, txs, receipts, read) => indexOps({ height, time, txs, receipts, read }, ops));
  const chain = await ChainState.open({
    dir: join(w.home, 'db'),
    genesis: w.genesis,
    machine: w.machine,
    indexer: index,
  });
  w.closers.add('chain', () => chain.close());
  // A DB indexed by an older version lacks newer kinds of entries for its old blocks: rebuild once.
  const was = indexVersion(chain.db);
  const reindexed = await ensureIndexVersion(chain.db, Math.max(1, chain.earliestHeight), chain.head.height, (k) =>
    chain.store.get(k),
  );
  if (reindexed > 0)
    w.log.info({ blocks: reindexed, from: was, to: INDEX_VERSION }, 'audit indexes rebuilt for a newer index version');
  const pool = new VerifierPool();
  w.closers.add('verifier', () => pool.close());
  return { chain, pool };
}

export function createMempool(w: Wiring, chain: ChainState, pool: VerifierPool, verified?: VerifiedTxs): Mempool {
  const log = w.log.child({ module: 'mempool' });
  const { machine } = w;
  const chainId = w.genesis.chainId;
  return new Mempool(w.opts.mempool, {
    chainId,
    maxTxLifetimeMs: w.genesis.params.maxTxLifetimeMs,
    kind: (k) => machine.kind(k),
    isIncluded: (h) => chain.isIncluded(h),
    senderError: (tx, body) => machine.senderError?.(chain.store, chainId, tx, body) ?? null,
    verifyMany: (items) => pool.verifyMany(items),
    ...(verified ? { preverified: (tx) => verified.has(tx) } : {}),
    verifyBacklog: () => ({ signatures: pool.backlog(), waitMs: pool.waitMs() }),
    prefetch: (txs) => {
      const keys: Uint8Array[] = [];
      for (const tx of txs) machine.readKeys?.(tx, keys);
      chain.store.prefetch(keys).catch((err: unknown) => log.debug({ err: String(err) }, 'prefetch failed'));
    },
    now: () => w.clock.now(),
  });
}

/**
 * Background sweep of superseded tree nodes every `intervalBlocks`: never two
 * at once, never blocking commits, none started after shutdown began; closing
 * waits for the one in flight, before LevelDB closes.
 */
export function createPruner(w: Wiring, chain: ChainState): (height: number) => void {
  const p = w.cfg.pruning;
  const log = w.log.child({ module: 'chain' });
  const { metrics } = w;
  let running: Promise<void> | undefined;
  w.closers.add('pruner', () => running);
  return (height) => {
    if (!p.enabled || running !== undefined || w.signal.aborted || height % p.intervalBlocks !== 0) return;
    const t0 = Date.now();
    running = chain
      .prune(p.keepBlocks)
      .then((r) => {
        metrics?.pruned(true, (Date.now() - t0) / 1000, r.deleted);
        log.info({ height, ...r, ms: Date.now() - t0 }, 'pruned state tree');
      })
      .catch((err: unknown) => {
        metrics?.pruned(false, (Date.now() - t0) / 1000);
        log.warn({ err: errText(err) }, 'pruning failed');
      })
      .finally(() => {
        running = undefined;
      });
  };
}

export function createExecutor(
  w: Wiring,
  d: {
    chain: ChainState;
    mempool: Mempool;
    pool: VerifierPool;
    events: NodeEvents;
    validatorId: () => Uint8Array | undefined;
    verified?: VerifiedTxs;
  },
): ChainExecutor {
  const prune = createPruner(w, d.chain);
  const log = w.log.child({ module: 'consensus' });
  return new ChainExecutor({
    chain: d.chain,
    mempool: d.mempool,
    // Proposals' signatures go ahead of tx admission's (votes' already do): a backlog of
    // submissions never delays judging a proposal.
    verifyMany: (items) => d.pool.verifyMany(items, { priority: true }),
    ...(d.verified ? { verified: d.verified } : {}),
    kind: (k) => w.machine.kind(k),
    // A block the proposer builds always fits in one proposal gossip message.
    maxBlockBytes: maxProposalBlockBytes(w.opts.p2p.maxGossipBytes),
    proposerId: d.validatorId,
    onCommitted: (c) => {
      d.events.emitCommitted(c);
      w.metrics?.committed(c, d.chain.headValidators, d.validatorId());
      prune(c.block.header.height);
    },
    onInvalidBlock: (height, reason, meta) => log.warn({ height, reason, detail: meta }, 'invalid proposal'),
  });
}

/** The libp2p host: listening once this resolves, so its closer is registered at once. */
export async function startHost(w: Wiring, chain: ChainState): Promise<P2pHost> {
  const chainId = w.genesis.chainId;
  const host = await createHost(
    { ...w.opts.p2p, chainId, dataDir: w.home },
    {
      status: () => ({
        chainId,
        genesisHash: chain.genesisHash,
        height: chain.head.height,
        protocol: PROTOCOL_VERSION,
        version: NODE_VERSION,
      }),
      log: w.log.child({ module: 'p2p' }),
    },
  );
  w.closers.add('p2p', () => host.close());
  return host;
}

export interface ConsensusParts {
  chain: ChainState;
  pool: VerifierPool;
  host: P2pHost;
  executor: ChainExecutor;
  key: ValidatorKey | undefined;
  /** This node's organization in the head's set (changes by governance, without a restart). */
  validatorId: () => Uint8Array | undefined;
  /** Gossip shows the network is ahead. */
  catchUp(): void;
  /** Admits a tx of our own (equivocation evidence) and gossips it. */
  submit(bytes: Uint8Array): Promise<unknown>;
  events: NodeEvents;
}

/** Engine, WAL and driver, over gossip (ConsensusNet): consensus never imports p2p, they meet here. */
export function createConsensus(w: Wiring, d: ConsensusParts): ConsensusDriver {
  const chainId = w.genesis.chainId;
  const log = w.log.child({ module: 'consensus' });
  const vote = (bytes: Uint8Array): Uint8Array => signingMessage(SignPurpose.VOTE, chainId, bytes);
  const verifyVote = (pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array): boolean => verify(sig, vote(bytes), pk);
  const net = new ConsensusNet(
    { ...w.opts.consensusNet, maxProposalBytes: w.opts.p2p.maxGossipBytes },
    {
      host: d.host,
      headHeight: () => d.chain.head.height,
      validatorSet: () => toValidatorSet(d.chain.validators),
      // Gossiped votes go through the verifier pool (priority: consensus latency matters).
      verify: (pk, bytes, sig) => d.pool.verify(vote(bytes), sig, pk, { priority: true }),
      hashBlock: (b) => d.executor.hashBlock(b),
      requestSync: () => d.catchUp(),
      onError: (err) => log.debug({ err: errText(err) }, 'consensus publish failed'),
    },
  );
  const { key } = d;
  const engine = new ConsensusEngine(
    {
      chainId,
      // The chain's pace, not a local setting: a node waiting longer than the others at round 0
      // would miss their round-0 proposals (its propose timeout runs out first).
      emptyBlockIntervalMs: emptyBlockIntervalMs(w.genesis.params),
      maxClockDriftMs: w.genesis.params.maxClockDriftMs,
    },
    key
      ? { pubkey: key.pubkey, signer: { sign: (b) => signFast(vote(b), key.secretKey) }, verify: verifyVote }
      : { verify: verifyVote },
  );
  const walFile = new FileStore(join(w.home, 'wal'));
  w.closers.add('wal', () => walFile.close());
  const report = evidenceReporter(w, d, log);
  const driver = new ConsensusDriver({
    engine,
    transport: net,
    executor: w.metrics ? timedExecutor(d.executor, w.metrics) : d.executor,
    clock: w.clock,
    wal: new ConsensusWal(walFile, BLOCK_MAX_BYTES + 4096),
    onCommit: (height, cert) => log.info({ height, round: cert.round, signers: cert.signatures.length }, 'committed'),
    ...(w.metrics ? { onPhase: (phase: string, ms: number) => w.metrics?.heightPhase(phase, ms) } : {}),
    onError: (err) => {
      log.error({ err: errText(err) }, 'consensus action failed');
      // Nothing more can be made durable: stop cleanly rather than retry against a full disk.
      if (isDiskFull(err)) d.events.emitFatal('disk full');
    },
    onEvidence: (a) => {
      log.warn({ kind: a.type }, 'equivocation evidence');
      if (a.type === 'evidence') report(a.voteA, a.voteB);
    },
  });
  w.closers.add('consensus', () => driver.close());
  net.attach(driver);
  return driver;
}

/** A validator puts equivocation evidence it detects on chain (an EVIDENCE tx, signed with its consensus key). */
function evidenceReporter(w: Wiring, d: ConsensusParts, log: Logger): (a: SignedVote, b: SignedVote) => void {
  return (a, b) => {
    const { key } = d;
    const validatorId = d.validatorId();
    if (!key || !validatorId || w.signal.aborted) return;
    const env = {
      chainId: w.genesis.chainId,
      signer: validatorId,
      pubkey: key.pubkey,
      expiresAt: Date.now() + 5 * 60_000,
    };
    const tx = signTx(reportEvidence(env, { a, b }), key.secretKey, signFast);
    d.submit(tx.bytes).catch((err: unknown) => log.warn({ err: errText(err) }, 'evidence not admitted'));
  };
}

/** Serves our blocks to syncing peers and catches up from peers that are ahead. */
export async function startSync(
  w: Wiring,
  d: { host: P2pHost; chain: ChainState; driver: ConsensusDriver },
): Promise<{ sync: SyncManager; catchUp: () => void }> {
  const { host, chain, driver } = d;
  const rr = await host.reqresp(
    syncProtocol(w.genesis.chainId),
    syncHandler(
      {
        headHeight: () => chain.head.height,
        getBlock: (h) => chain.blocks.getBlock(h),
        getCert: (h) => chain.blocks.getCert(h),
      },
      w.opts.sync,
    ),
    { maxResponseBytes: w.opts.sync.maxResponseBytes },
  );
  const sync = new SyncManager(
    {
      rr,
      peerHeights: () => host.peerHeights(),
      headHeight: () => chain.head.height,
      commit: (height, block, cert) => driver.synced(height, block, cert),
      penalise: (peer, reason) => host.scorer.onRefused(peer, reason),
      log: w.log.child({ module: 'sync' }),
      signal: w.signal,
    },
    w.opts.sync,
  );
  w.closers.add('sync', () => sync.close());
  host.status.onStatus(() => sync.trigger());
  // Gossip or consensus shows the network is ahead: refresh peer heights (at most once a second) and sync.
  let lastRefresh = 0;
  const catchUp = (): void => {
    sync.trigger();
    if (w.signal.aborted || Date.now() - lastRefresh < 1000) return;
    lastRefresh = Date.now();
    for (const peer of host.connectedPeers()) host.status.refresh(peer).catch(() => {});
  };
  return { sync, catchUp };
}

/**
 * Tx gossip, both ways from one options object: the bundler sends within
 * `opts.txGossip` and the validator refuses anything beyond it, so one peer
 * message costs at most `maxItems` signature checks.
 */
export function startTxGossip(w: Wiring, host: P2pHost, mempool: Mempool): TxBundler {
  const log = w.log.child({ module: 'tx-gossip' });
  const bundler = new TxBundler(w.opts.txGossip, {
    publish: (b) => host.gossip.publish(host.topics.tx, b),
    onError: (err) => log.debug({ err: errText(err) }, 'tx gossip publish failed'),
  });
  w.closers.add('tx-gossip', () => bundler.close());
  const validator = new TxGossipValidator(w.opts.txGossip, { admit: (items) => mempool.addMany(items) });
  host.gossip.subscribe(host.topics.tx, { validate: (bytes) => validator.validate(bytes) });
  return bundler;
}
