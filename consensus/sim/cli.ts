#!/usr/bin/env node
/**
 * `npm run sim -- --seeds N [--validators n] [--seed S] [--verbose]`
 * Runs scenarios for seeds 1..N (or just S) and ends with one summary line.
 * Exit code 1 if any scenario broke safety or liveness; failing seeds are
 * printed so `--seed S` replays them exactly.
 */
import { randomScenario } from './scenario.js';
import { runScenario } from './simulation.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }
  return n;
}

const one = int('seed', arg('seed'));
const count = int('seeds', arg('seeds')) ?? 100;
const validators = int('validators', arg('validators'));
const verbose = process.argv.includes('--verbose');
const seeds = one !== undefined ? [one] : Array.from({ length: count }, (_, i) => i + 1);

let safety = 0;
let liveness = 0;
for (const seed of seeds) {
  const cfg = randomScenario(seed, validators !== undefined ? { validators } : {});
  const r = runScenario(cfg);
  if (r.safety.length > 0) safety++;
  if (r.liveness.length > 0) liveness++;
  if (verbose || r.safety.length > 0 || r.liveness.length > 0) {
    const faults = cfg.byzantine.map((b) => `${b.index}:${b.mode}`).join(' ') || 'none';
    process.stdout.write(
      `seed ${seed}: n=${cfg.validators} byzantine=[${faults}] heights=${r.heights} events=${r.events} t=${r.simMs}ms recovery=${r.recoveryMs}ms\n`,
    );
    for (const s of r.safety.slice(0, 5)) process.stdout.write(`  SAFETY ${s}\n`);
    for (const l of r.liveness.slice(0, 5)) process.stdout.write(`  LIVENESS ${l}\n`);
  }
}
process.stdout.write(`scenarios: ${seeds.length}, safety violations: ${safety}, liveness failures: ${liveness}\n`);
process.exitCode = safety + liveness > 0 ? 1 : 0;
