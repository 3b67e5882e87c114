import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConsensusOptions } from '../../consensus/engine/options.js';
import { Rng } from '../../consensus/sim/prng.js';
import { randomScenario, type ScenarioConfig, simConsensusOptions } from '../../consensus/sim/scenario.js';
import { runScenario } from '../../consensus/sim/simulation.js';

const broken = (faults: ConsensusOptions['unsafeTestFaults']) => ({
  opts: { ...simConsensusOptions, unsafeTestFaults: faults },
});

test('prng: a seed replays exactly and streams differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 100 }, () => a.u32());
  assert.equal(
    xs,
    Array.from({ length: 100 }, () => b.u32()),
  );
  assert.not.equal(xs[0], new Rng(43).u32());
  const r = new Rng(7);
  for (let i = 0; i < 1000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
  }
});

test('simulation: a scenario replays identically from its seed', () => {
  const a = runScenario(randomScenario(17));
  const b = runScenario(randomScenario(17));
  assert.equal(a, b);
});

test('simulation: 200 seeds with faults keep safety and liveness', () => {
  const bad: string[] = [];
  let heights = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const r = runScenario(randomScenario(seed));
    heights += r.heights;
    if (r.safety.length + r.liveness.length > 0) bad.push(`seed ${seed}: ${[...r.safety, ...r.liveness][0]}`);
  }
  assert.equal(bad, []);
  assert.ok(heights > 1000, `blocks were actually produced (${heights})`);
});

test('simulation catches a broken engine: a 1/2 quorum breaks safety', () => {
  let violations = 0;
  for (let seed = 1; seed <= 40; seed++)
    if (runScenario(randomScenario(seed, broken({ halfQuorum: true }))).safety.length) violations++;
  assert.ok(violations > 0);
});

test('simulation catches a broken engine: no locking lets an equivocator cause conflicting commits', () => {
  // Locks matter when a Byzantine validator splits its precommits; aim every scenario at that.
  let conflicts = 0;
  for (let seed = 1; seed <= 800 && conflicts === 0; seed++) {
    const cfg: ScenarioConfig = randomScenario(seed, { validators: 4, ...broken({ noLocking: true }) });
    cfg.byzantine = [{ index: seed % 4, mode: 'equivocate' }];
    if (runScenario(cfg).safety.some((s) => s.startsWith('conflicting commits'))) conflicts++;
  }
  assert.ok(conflicts > 0);
});

test.run();
