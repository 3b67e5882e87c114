/**
 * The 60-second chaos smoke: 4 validator processes and a full node under load, every fault kind
 * the machine allows on the seeded schedule; the harness must report no violation (same headers
 * and state roots everywhere, nothing acknowledged lost, no double signing, liveness after the
 * last fault). Where partitions or full disks are unavailable, the harness must refuse them
 * (checked here) and the smoke runs the other kinds.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpfsUnavailable } from '../../bench/chaos/disk.js';
import { netnsUnavailable } from '../../bench/chaos/netns.js';
import type { ChaosSummary } from '../../bench/chaos/run.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../bench/chaos/cli.js');
const SEED = process.env.CHAOS_SEED ?? '1';

async function chaos(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  return { code, out, err };
}

const unavailable = netnsUnavailable() ?? tmpfsUnavailable();

test(`chaos smoke: 60 s, 4 validators and a full node, overlapping faults, no violation (seed ${SEED})`, async () => {
  let faults = 'kill,pause,partition,skew,wal,disk,quorum';
  if (unavailable !== null) {
    const refused = await chaos(['--minutes', '1', '--faults', faults]);
    assert.is(refused.code, 2, 'partition and disk faults are refused, not skipped');
    assert.match(refused.err, /refusing the (partition|disk) fault/);
    process.stderr.write(`chaos smoke without partition and disk faults: ${unavailable}\n`);
    faults = 'kill,pause,skew,wal';
  }
  const r = await chaos(['--validators', '4', '--minutes', '1', '--seed', SEED, '--rate', '1', '--faults', faults]);
  assert.is(r.code, 0, r.err.slice(-3000));
  const s = JSON.parse(r.out.trim().split('\n').pop() as string) as ChaosSummary;
  assert.equal(s.violations, []);
  assert.ok(Object.values(s.faults).reduce((a, b) => a + b, 0) >= 1, 'faults were injected');
  assert.ok(s.peak_faulty <= s.max_faulty);
  assert.ok(s.heights_compared >= 2, 'headers compared across nodes');
  assert.ok((s.full_node_height ?? -1) >= 2, 'the full node follows');
  for (const [name, h] of Object.entries(s.heights)) assert.ok(h !== null && h >= 2, `${name} answered at the end`);
  assert.ok(s.vault.disclosures >= 1, 'the vault disclosed records (each checked against its final ACCESS)');
  assert.is(s.txs.found_on_every_node, s.txs.acknowledged);
  assert.is(s.double_signs, 0);
  assert.is(s.crashes, 0);
});

test.run();
