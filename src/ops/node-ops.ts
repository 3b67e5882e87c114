import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import type { Mempool } from '../../consensus/mempool.js';
import type { GossipKind } from '../../p2p/gossip.js';
import type { P2pHost } from '../../p2p/host.js';
import type { ChainState } from '../../state/chain.js';
import type { VerifierPool } from '../crypto/pool/index.js';
import { writeBackup } from './backup.js';
import type { ScrapeSources } from './collect.js';
import type { ReadyInputs } from './health.js';
import type { NodeMetrics } from './metrics.js';
import { defaultReadyThresholds, type OpsOptions } from './options.js';
import { OpsServer } from './server.js';

/** The parts of a running node the operations listener reads. */
export interface NodeOpsDeps {
  chain: ChainState;
  host: P2pHost;
  sync: { readonly syncing: boolean };
  mempool: Mempool;
  pool: VerifierPool;
  /** The database directory (its filesystem's free space is exported). */
  dataDir: string;
  /** Where the backup token lives when ops.token is not set (created 0600 at start). */
  backupTokenFile: string;
  configuredPeers: number;
  heartbeatMs: number;
  /** This node's organization while it is in the head's validator set. */
  validatorId?(): Uint8Array | undefined;
  wsConnections?(): number;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

function peerView(host: P2pHost, configured: number): ReturnType<ScrapeSources['peers']> {
  const heights = host.peerHeights();
  let best: number | null = null;
  for (const h of heights.values()) best = best === null ? h : Math.max(best, h);
  return { connected: host.connectedPeers().length, handshaken: heights.size, configured, bestHeight: best };
}

/** A fresh random token per start, readable only by the node's user (like the database itself). */
async function localToken(file: string): Promise<string> {
  const token = randomBytes(32).toString('hex');
  await rm(file, { force: true });
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

/** Attaches scrape-time sources to the metrics and starts the listener. */
export async function startOps(
  opts: OpsOptions,
  metrics: NodeMetrics,
  d: NodeOpsDeps,
): Promise<{ server: OpsServer; url: string }> {
  const kindOf = new Map<string, GossipKind>(
    Object.entries(d.host.topics).map(([k, t]) => [t, k as GossipKind] as [string, GossipKind]),
  );
  metrics.attach({
    headHeight: () => d.chain.head.height,
    validators: () => d.chain.validators.length,
    isValidator: () => d.validatorId?.() !== undefined,
    peers: () => peerView(d.host, d.configuredPeers),
    syncing: () => d.sync.syncing,
    mempool: () => ({ txs: d.mempool.size, bytes: d.mempool.byteSize }),
    admissions: () => [...d.mempool.admissionCounts()].map(([result, n]) => [{ result }, n]),
    gossip: () =>
      d.host.gossip
        .verdictCounts()
        .map((v) => [{ topic: kindOf.get(v.topic) ?? 'other', result: v.verdict, reason: v.reason }, v.count]),
    verifier: () => d.pool.stats(),
    disk: () => {
      const f = statfsSync(d.dataDir);
      return { free: f.bavail * f.bsize, total: f.blocks * f.bsize };
    },
    ...(d.wsConnections ? { wsConnections: d.wsConnections } : {}),
  });
  const readyInputs = (): ReadyInputs => {
    const p = peerView(d.host, d.configuredPeers);
    return {
      headHeight: d.chain.head.height,
      peers: p.handshaken,
      bestPeerHeight: p.bestHeight,
      lastProgressAt: metrics.lastProgressAt,
      now: Date.now(),
    };
  };
  const backupToken = opts.token ? undefined : await localToken(d.backupTokenFile);
  const server = new OpsServer(opts, {
    ...(backupToken ? { backupToken } : {}),
    metrics,
    readyInputs,
    defaults: defaultReadyThresholds(d.configuredPeers, d.heartbeatMs),
    backup: (sink, signal) => writeBackup(d.chain.db, sink, signal),
    log: d.log,
  });
  const { url } = await server.listen();
  return { server, url };
}
