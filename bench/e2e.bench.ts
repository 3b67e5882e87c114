import './../src/polyfill.js';
import { runE2e } from './e2e/run.js';
import type { Benchmark } from './types.js';

/**
 * e2e.*: finalized medical transactions per second of a real network of
 * validator processes (libp2p, LevelDB, JSON-RPC) on this machine, with
 * submit→finality latency, against the raw ed25519 verify limit measured in
 * the same run. Flags: --validators N, --seconds S, --rate R (latency at a
 * fixed rate; default saturation), --patients N, --practitioners N,
 * --connections N (per validator), --batch N, --window N, --warmup S,
 * --drain S, --limit-ms MS, --cpu-prof [i,j] (profile validators), --prof-top N,
 * --pruning off (state-tree pruning off in the nodes' config).
 */
export const benchmarks: Benchmark[] = [
  { id: 'e2e.devnet', default: false, run: (ctx) => runE2e(ctx, { id: 'e2e.devnet', validators: 4 }) },
  { id: 'e2e.single', default: false, run: (ctx) => runE2e(ctx, { id: 'e2e.single', validators: 1 }) },
];
