/**
 * The 60-second chaos smoke: 4 validator processes under load, seeded kill -9
 * and SIGSTOP faults; the harness must report no violation (same headers and
 * state roots everywhere, nothing acknowledged lost, liveness after the last fault).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChaosSummary } from '../../bench/chaos/run.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../bench/chaos/cli.js');
const SEED = process.env.CHAOS_SEED ?? '1';

test(`chaos smoke: 60 s, 4 validators, kill and pause faults, no violation (seed ${SEED})`, async () => {
  const args = [cli, '--validators', '4', '--minutes', '1', '--seed', SEED, '--rate', '1'];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  assert.is(code, 0, err.slice(-3000));
  const s = JSON.parse(out.trim().split('\n').pop() as string) as ChaosSummary;
  assert.equal(s.violations, []);
  assert.ok((s.faults.kill ?? 0) + (s.faults.pause ?? 0) >= 1, 'faults were injected');
  assert.ok(s.peak_faulty <= s.max_faulty);
  assert.ok(s.heights_compared >= 2, 'headers compared across nodes');
  assert.is(s.txs.found_on_every_node, s.txs.acknowledged);
  assert.is(s.crashes, 0);
});

test.run();
