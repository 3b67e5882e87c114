import type { ReadyThresholds } from './options.js';

/** What readiness looks at, sampled when the probe arrives. */
export interface ReadyInputs {
  headHeight: number;
  /** Peers that passed the status handshake. */
  peers: number;
  /** Best height reported by any peer; null with no peers. */
  bestPeerHeight: number | null;
  /** Wall time (ms) of the last commit, or of node start before the first one. */
  lastProgressAt: number;
  now: number;
}

export type NotReadyReason = 'TOO_FEW_PEERS' | 'BEHIND' | 'STALLED';

export interface Readiness {
  ready: boolean;
  reasons: NotReadyReason[];
  headHeight: number;
  peers: number;
  bestPeerHeight: number | null;
  behind: number;
  secondsSinceCommit: number;
  thresholds: ReadyThresholds;
}

/**
 * Ready = enough peers, within maxBlocksBehind of the best peer, and committing. The chain never
 * idles without committing (empty heartbeat blocks), so a long silence means stalled, not idle.
 */
export function readiness(i: ReadyInputs, t: ReadyThresholds): Readiness {
  const reasons: NotReadyReason[] = [];
  const behind = Math.max(0, (i.bestPeerHeight ?? i.headHeight) - i.headHeight);
  const secondsSinceCommit = Math.max(0, (i.now - i.lastProgressAt) / 1000);
  if (i.peers < t.minPeers) reasons.push('TOO_FEW_PEERS');
  if (behind > t.maxBlocksBehind) reasons.push('BEHIND');
  if (secondsSinceCommit > t.maxStallSeconds) reasons.push('STALLED');
  return {
    ready: reasons.length === 0,
    reasons,
    headHeight: i.headHeight,
    peers: i.peers,
    bestPeerHeight: i.bestPeerHeight,
    behind,
    secondsSinceCommit: Math.round(secondsSinceCommit * 10) / 10,
    thresholds: t,
  };
}

const LIMITS: Record<keyof ReadyThresholds, number> = {
  minPeers: 10_000,
  maxBlocksBehind: 1_000_000_000,
  maxStallSeconds: 86_400 * 365,
};

/** Thresholds from query parameters over the defaults; a malformed or unknown parameter is an error. */
export function parseThresholds(q: URLSearchParams, defaults: ReadyThresholds): ReadyThresholds | string {
  const out = { ...defaults };
  for (const [k, v] of q) {
    if (!(k in LIMITS)) return `unknown parameter ${k.slice(0, 32)}`;
    const key = k as keyof ReadyThresholds;
    const n = Number(v);
    if (!/^\d{1,12}$/.test(v) || n > LIMITS[key]) return `${key} must be an integer in 0..${LIMITS[key]}`;
    out[key] = n;
  }
  return out;
}
