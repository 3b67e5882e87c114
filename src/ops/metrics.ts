import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CommittedBlock } from '../../consensus/chain-executor.js';
import { mapKey } from '../../state/exec/keys.js';
import { toHex } from '../codec/bytes.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../version.js';
import { type CountSource, gauge, mirrored, registerCollectors, type ScrapeSources } from './collect.js';

/** Bounded label for a validator: its organization id's first 8 bytes (the set is governance-sized). */
export const validatorLabel = (id: Uint8Array): string => toHex(id.subarray(0, 8));

/** Submit times of txs this node admitted from clients, for finality latency; bounded, oldest dropped. */
const MAX_TRACKED_TXS = 50_000;
/** Finality is sampled: txs whose hash starts below this byte (1 in 8), so most txs cost one compare. */
const SAMPLE_BELOW = 32;

/**
 * The node's Prometheus registry. Event-driven series are observed here as things happen
 * (commits, prunes, RPC calls); gauges and cumulative counters of other subsystems are read at
 * scrape time (collect.ts). Labels are bounded codes only: never patient, record, tx or peer ids.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  /** Wall time (ms) of the last commit, or of start: readiness and the stalled alert use it. */
  lastProgressAt = Date.now();
  private lastBlockTime: number | undefined;
  private syncing: () => boolean = () => false;
  private readonly submitted = new Map<string, number>();
  private commitStart: number | undefined;

  private readonly c = {
    blocks: new Counter({
      registers: [],
      name: 'medchain_blocks_committed_total',
      help: 'Blocks committed (final) by this node',
    }),
    txs: new Counter({ registers: [], name: 'medchain_txs_committed_total', help: 'Transactions in committed blocks' }),
    lastCommit: new Gauge({
      registers: [],
      name: 'medchain_chain_last_commit_timestamp_seconds',
      help: 'Wall-clock time of the last commit (alert when now - this exceeds a few heartbeats)',
    }),
    rounds: new Histogram({
      registers: [],
      name: 'medchain_consensus_commit_round',
      help: 'Consensus round in which each height was decided (0 = first round)',
      buckets: [0, 1, 2, 3, 5, 8],
    }),
    interval: new Histogram({
      registers: [],
      name: 'medchain_block_interval_seconds',
      help: 'Block time between consecutive committed blocks',
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 60],
    }),
    finality: new Histogram({
      registers: [],
      name: 'medchain_block_finality_seconds',
      help: 'From the block time set by its proposer to the local commit',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    }),
    txFinality: new Histogram({
      registers: [],
      name: 'medchain_tx_finality_seconds',
      help: 'From admission of a client-submitted tx at this node to its commit',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    }),
    blockTxs: new Histogram({
      registers: [],
      name: 'medchain_block_txs',
      help: 'Transactions per committed block',
      buckets: [0, 1, 10, 100, 500, 1000, 2500, 5000, 10000],
    }),
    missed: new Counter({
      registers: [],
      name: 'medchain_consensus_validator_missed_precommits_total',
      help: 'Committed blocks whose commit certificate lacks this validator (validator = org id prefix)',
      labelNames: ['validator'] as const,
    }),
    ownSigned: new Counter({
      registers: [],
      name: 'medchain_validator_signed_blocks_total',
      help: "Committed blocks carrying this node's own precommit (validators only)",
    }),
    ownMissed: new Counter({
      registers: [],
      name: 'medchain_validator_missed_blocks_total',
      help: "Committed blocks without this node's precommit while it was in the set",
    }),
    exec: new Histogram({
      registers: [],
      name: 'medchain_block_execution_seconds',
      help: 'Block execution: building a proposal, validating one (re-execution and roots)',
      labelNames: ['phase'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    phase: new Histogram({
      registers: [],
      name: 'medchain_consensus_height_phase_seconds',
      help: 'From the previous commit to the first time this node had the proposal, prevoted, precommitted, saw the decision, committed',
      labelNames: ['phase'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    }),
    commit: new Histogram({
      registers: [],
      name: 'medchain_block_commit_seconds',
      help: 'Committing a final block: the atomic fsynced LevelDB batch (and execution for synced blocks)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    pruneRuns: new Counter({
      registers: [],
      name: 'medchain_state_prune_runs_total',
      help: 'State-tree pruning sweeps by result',
      labelNames: ['result'] as const,
    }),
    pruneDeleted: new Counter({
      registers: [],
      name: 'medchain_state_prune_deleted_nodes_total',
      help: 'Superseded state-tree nodes deleted',
    }),
    pruneSeconds: new Histogram({
      registers: [],
      name: 'medchain_state_prune_duration_seconds',
      help: 'Duration of a pruning sweep',
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300],
    }),
    rpc: new Counter({
      registers: [],
      name: 'medchain_rpc_requests_total',
      help: 'JSON-RPC calls of registered methods by outcome',
      labelNames: ['method', 'outcome'] as const,
    }),
    rpcSeconds: new Histogram({
      registers: [],
      name: 'medchain_rpc_request_duration_seconds',
      help: 'JSON-RPC call latency by method',
      labelNames: ['method'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    }),
  };

  constructor() {
    for (const m of Object.values(this.c)) this.registry.registerMetric(m);
    const info = new Gauge({
      name: 'medchain_node_info',
      help: 'Node and peer protocol version (value 1)',
      labelNames: ['version', 'protocol'] as const,
      registers: [this.registry],
    });
    info.set({ version: NODE_VERSION, protocol: String(PROTOCOL_VERSION) }, 1);
    collectDefaultMetrics({ register: this.registry });
  }

  /** Scrape-time readers of the other subsystems (heights, peers, mempool, pool, gossip, RPC). */
  attach(sources: ScrapeSources): void {
    this.syncing = () => sources.syncing();
    registerCollectors(this.registry, sources, this);
  }

  /** The custodian vault run beside the node (`medchain start` with vault.enabled). */
  attachVault(outcomes: CountSource): void {
    mirrored(
      this.registry,
      'medchain_vault_requests_total',
      'Vault requests by outcome: ok or the coded error',
      ['outcome'],
      outcomes,
    );
  }

  /** The FHIR audit feed (config.fhir.feed): how far the repository has accepted, read at scrape time. */
  attachFeed(feed: { readonly deliveredHeight: number }, headHeight: () => number): void {
    gauge(
      this.registry,
      'medchain_fhir_feed_delivered_height',
      'Last block whose AuditEvents the audit repository accepted',
      () => feed.deliveredHeight,
    );
    gauge(
      this.registry,
      'medchain_fhir_feed_lag_blocks',
      'Final blocks whose AuditEvents the audit repository has not accepted yet',
      () => Math.max(0, headHeight() - feed.deliveredHeight),
    );
  }

  /** A client tx admitted by this node: its commit will observe tx finality. */
  txSubmitted(hash: Uint8Array): void {
    if ((hash[0] ?? 0) >= SAMPLE_BELOW) return;
    if (this.submitted.size >= MAX_TRACKED_TXS) {
      const oldest = this.submitted.keys().next();
      if (!oldest.done) this.submitted.delete(oldest.value);
    }
    this.submitted.set(mapKey(hash), Date.now());
  }

  /**
   * A block became final. `signers` is the set that signed it (the certificate's indexes point
   * into it); `self` is this node's organization id if it validates.
   */
  committed(c: CommittedBlock, signers: readonly { id: Uint8Array }[], self?: Uint8Array): void {
    if (this.commitStart !== undefined) this.c.commit.observe((performance.now() - this.commitStart) / 1000);
    this.commitStart = undefined;
    const now = Date.now();
    const h = c.block.header;
    this.lastProgressAt = now;
    this.c.blocks.inc();
    this.c.txs.inc(c.exec.txs.length);
    this.c.lastCommit.set(now / 1000);
    this.c.rounds.observe(c.cert.round);
    this.c.blockTxs.observe(c.exec.txs.length);
    // Blocks fetched by sync are old: their age is not finality latency, their spacing not live pace.
    if (!this.syncing()) {
      this.c.finality.observe(Math.max(0, now - h.time) / 1000);
      if (this.lastBlockTime !== undefined) this.c.interval.observe(Math.max(0, h.time - this.lastBlockTime) / 1000);
    }
    this.lastBlockTime = h.time;
    const signed = new Set(c.cert.signatures.map((s) => s.validatorIndex));
    const selfLabel = self === undefined ? undefined : validatorLabel(self);
    signers.forEach((v, i) => {
      const label = validatorLabel(v.id);
      const present = signed.has(i);
      if (!present) this.c.missed.inc({ validator: label });
      if (label === selfLabel) (present ? this.c.ownSigned : this.c.ownMissed).inc();
    });
    if (this.submitted.size > 0) {
      for (const tx of c.exec.txs) {
        if ((tx.hash[0] ?? 0) >= SAMPLE_BELOW) continue;
        const k = mapKey(tx.hash);
        const t0 = this.submitted.get(k);
        if (t0 === undefined) continue;
        this.submitted.delete(k);
        this.c.txFinality.observe(Math.max(0, now - t0) / 1000);
      }
    }
  }

  /** The executor began committing a final block (performance.now()); committed() ends the timing. */
  commitStarted(at: number): void {
    this.commitStart = at;
  }

  /** A consensus height reached `phase` `ms` after the previous commit (ConsensusDriver onPhase). */
  heightPhase(phase: string, ms: number): void {
    this.c.phase.observe({ phase }, ms / 1000);
  }

  execution(phase: 'build' | 'validate', seconds: number): void {
    this.c.exec.observe({ phase }, seconds);
  }

  pruned(ok: boolean, seconds: number, deleted = 0): void {
    this.c.pruneRuns.inc({ result: ok ? 'ok' : 'error' });
    this.c.pruneSeconds.observe(seconds);
    if (deleted > 0) this.c.pruneDeleted.inc(deleted);
  }

  /** `method` is a registered method name (the dispatcher never reports unknown ones). */
  rpcCall(method: string, outcome: 'ok' | 'error', seconds: number): void {
    this.c.rpc.inc({ method, outcome });
    this.c.rpcSeconds.observe({ method }, seconds);
  }

  /** The Prometheus text exposition of every series. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
