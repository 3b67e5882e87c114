import { Counter, Gauge, type Registry } from 'prom-client';

/** Cumulative counts a subsystem keeps itself, keyed by bounded label values. */
export type CountSource = () => Iterable<[labels: Record<string, string>, count: number]>;

/**
 * What the metrics read from the other subsystems when Prometheus scrapes: getters and counters
 * they already keep, so nothing runs per message on their hot paths for us.
 */
export interface ScrapeSources {
  headHeight(): number;
  /** Validators in the set for the next block. */
  validators(): number;
  /** Whether this node's key is in that set. */
  isValidator(): boolean;
  peers(): { connected: number; handshaken: number; configured: number; bestHeight: number | null };
  syncing(): boolean;
  mempool(): { txs: number; bytes: number };
  /** Mempool admissions by result (`admitted` or the coded reason). */
  admissions?: CountSource;
  /** Gossip validation verdicts by topic kind, result and reason. */
  gossip?: CountSource;
  verifier?(): { queued: number; backlog: number; waitMs: number; jobs: number; items: number };
  wsConnections?(): number;
  /** The filesystem holding the database (bytes). */
  disk?(): { free: number; total: number };
}

export function gauge(reg: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [reg],
    collect() {
      this.set(read());
    },
  });
}

/** A counter mirrored from a subsystem's cumulative counts (reset then set at each scrape). */
export function mirrored(reg: Registry, name: string, help: string, labelNames: string[], src: CountSource): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      for (const [labels, n] of src()) if (n > 0) this.inc(labels, n);
    },
  });
}

export function registerCollectors(reg: Registry, s: ScrapeSources, m: { lastProgressAt: number }): void {
  gauge(reg, 'medchain_chain_head_height', 'Height of the last committed block', () => s.headHeight());
  // BFT finality: the head is final the moment it is committed.
  gauge(reg, 'medchain_chain_finalized_height', 'Height of the last final block', () => s.headHeight());
  gauge(reg, 'medchain_chain_seconds_since_commit', 'Seconds since the last commit (or start)', () =>
    Math.max(0, (Date.now() - m.lastProgressAt) / 1000),
  );
  gauge(reg, 'medchain_consensus_validators', 'Validators in the current set', () => s.validators());
  gauge(reg, 'medchain_validator_active', '1 if this node validates in the current set', () =>
    s.isValidator() ? 1 : 0,
  );
  new Gauge({
    name: 'medchain_p2p_peers',
    help: 'Peers by state: configured (config p2p.peers), connected, handshaken (same chain, status exchanged)',
    labelNames: ['state'],
    registers: [reg],
    collect() {
      const p = s.peers();
      this.set({ state: 'configured' }, p.configured);
      this.set({ state: 'connected' }, p.connected);
      this.set({ state: 'handshaken' }, p.handshaken);
    },
  });
  gauge(reg, 'medchain_sync_best_peer_height', 'Best height reported by a peer (head height if none)', () =>
    Math.max(s.peers().bestHeight ?? 0, s.headHeight()),
  );
  gauge(reg, 'medchain_sync_lag_blocks', 'Blocks behind the best peer', () =>
    Math.max(0, (s.peers().bestHeight ?? 0) - s.headHeight()),
  );
  gauge(reg, 'medchain_sync_active', '1 while block sync runs', () => (s.syncing() ? 1 : 0));
  gauge(reg, 'medchain_mempool_txs', 'Transactions waiting in the mempool', () => s.mempool().txs);
  gauge(reg, 'medchain_mempool_bytes', 'Bytes of transactions in the mempool', () => s.mempool().bytes);
  if (s.admissions !== undefined)
    mirrored(
      reg,
      'medchain_mempool_admissions_total',
      'Transactions offered to the mempool (RPC and gossip) by result: admitted or the coded rejection',
      ['result'],
      s.admissions,
    );
  if (s.gossip !== undefined)
    mirrored(
      reg,
      'medchain_p2p_gossip_messages_total',
      'Gossip messages validated, by topic kind, result (accept/ignore/reject) and reason',
      ['topic', 'result', 'reason'],
      s.gossip,
    );
  const verifier = s.verifier;
  if (verifier !== undefined) {
    gauge(reg, 'medchain_verifier_queue_depth', 'Signature-verify jobs waiting for a worker', () => verifier().queued);
    gauge(
      reg,
      'medchain_verifier_backlog_signatures',
      'Signatures waiting for a worker (admission refuses TX_NODE_BUSY beyond mempool.maxVerifyBacklog)',
      () => verifier().backlog,
    );
    gauge(
      reg,
      'medchain_verifier_wait_seconds',
      'How long the oldest waiting signature has waited (admission refuses TX_NODE_BUSY beyond mempool.maxVerifyWaitMs)',
      () => verifier().waitMs / 1000,
    );
    mirrored(reg, 'medchain_verifier_jobs_total', 'Signature-verify jobs sent to workers', [], () => [
      [{}, verifier().jobs],
    ]);
    mirrored(reg, 'medchain_verifier_items_total', 'Signatures sent to workers (items / jobs = batch size)', [], () => [
      [{}, verifier().items],
    ]);
  }
  const ws = s.wsConnections;
  if (ws !== undefined) gauge(reg, 'medchain_rpc_ws_connections', 'Open JSON-RPC WebSocket connections', ws);
  const disk = s.disk;
  if (disk !== undefined) {
    gauge(
      reg,
      'medchain_disk_free_bytes',
      'Free bytes (for unprivileged users) on the database filesystem',
      () => disk().free,
    );
    gauge(reg, 'medchain_disk_size_bytes', 'Size of the database filesystem', () => disk().total);
  }
}
