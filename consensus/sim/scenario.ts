import type { ConsensusOptions } from '../engine/options.js';
import { Rng } from './prng.js';

/** silent: sends nothing. equivocate: signs two different proposals/votes and splits them among peers. invalid: proposes blocks honest executors reject. */
export type ByzMode = 'silent' | 'equivocate' | 'invalid';

export interface ScenarioConfig {
  seed: number;
  validators: number;
  byzantine: { index: number; mode: ByzMode }[];
  /** Faults (drops, long delays, partitions, crashes) happen in [0, faultMs); then the network heals. */
  faultMs: number;
  dropP: number;
  dupP: number;
  delayMinMs: number;
  delayMaxMs: number;
  longDelayP: number;
  partitions: number;
  crashes: number;
  txIntervalMs: number;
  /** After healing, every honest validator must commit 2 more heights within this. */
  livenessMs: number;
  /** Then every tx seen committed must reach every honest chain within this. */
  catchUpMs: number;
  maxEvents: number;
  opts: Partial<ConsensusOptions>;
}

/** Timeouts scaled down from the defaults so simulated runs cover many rounds cheaply. */
export const simConsensusOptions: Partial<ConsensusOptions> = {
  timeoutProposeMs: 1000,
  timeoutProposeDeltaMs: 250,
  timeoutPrevoteMs: 500,
  timeoutPrevoteDeltaMs: 250,
  timeoutPrecommitMs: 500,
  timeoutPrecommitDeltaMs: 250,
  timeoutMaxMs: 5000,
  emptyBlockIntervalMs: 2000,
  rebroadcastMs: 1000,
};

/** The scenario a seed stands for: everything random is drawn here or from forks of this stream. */
export function randomScenario(seed: number, over: Partial<ScenarioConfig> = {}): ScenarioConfig {
  const rng = new Rng(seed);
  const validators = over.validators ?? rng.pick([4, 4, 4, 5, 6, 7]);
  const f = Math.floor((validators - 1) / 3);
  const nByz = rng.int(f + 1);
  const byzantine: ScenarioConfig['byzantine'] = [];
  const pool = Array.from({ length: validators }, (_, i) => i);
  for (let k = 0; k < nByz; k++) {
    const index = pool.splice(rng.int(pool.length), 1)[0] as number;
    byzantine.push({ index, mode: rng.pick(['silent', 'equivocate', 'equivocate', 'invalid'] as const) });
  }
  const calm = rng.chance(0.15);
  return {
    seed,
    validators,
    byzantine,
    faultMs: rng.range(5_000, 40_000),
    dropP: calm ? 0 : rng.next() * 0.3,
    dupP: rng.next() * 0.2,
    delayMinMs: rng.range(1, 20),
    delayMaxMs: rng.range(20, 600),
    longDelayP: calm ? 0 : rng.next() * 0.05,
    partitions: calm ? 0 : rng.int(4),
    crashes: calm ? 0 : rng.int(5),
    txIntervalMs: rng.range(150, 1500),
    livenessMs: 120_000,
    catchUpMs: 60_000,
    maxEvents: 3_000_000,
    opts: simConsensusOptions,
    ...over,
  };
}
