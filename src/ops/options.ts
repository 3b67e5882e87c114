/** The operations listener: Prometheus metrics, liveness/readiness and backups, on its own port. */
export interface OpsOptions {
  enabled: boolean;
  /** Loopback by default: metrics reveal load and peers; backups reveal the whole chain. */
  host: string;
  port: number;
  /** Bearer token for /metrics and /backup (probes stay open); required for /backup off loopback. */
  token?: string;
}

export const defaultOpsOptions: OpsOptions = { enabled: false, host: '127.0.0.1', port: 9545 };

/** Readiness thresholds; each can be overridden per probe with a query parameter of the same name. */
export interface ReadyThresholds {
  /** Peers that passed the status handshake. */
  minPeers: number;
  /** Blocks behind the best height any peer reported. */
  maxBlocksBehind: number;
  /** Seconds without a commit before the chain counts as stalled (an idle chain still commits heartbeats). */
  maxStallSeconds: number;
}

/** Defaults from the node's config: a node with no configured peers (a single validator) needs none. */
export function defaultReadyThresholds(configuredPeers: number, heartbeatMs: number): ReadyThresholds {
  return {
    minPeers: configuredPeers > 0 ? 1 : 0,
    maxBlocksBehind: 5,
    maxStallSeconds: Math.max(30, Math.ceil((10 * heartbeatMs) / 1000)),
  };
}
