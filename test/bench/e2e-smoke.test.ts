/**
 * A 5-second smoke of the e2e benchmark (one validator process, a small
 * state), so the harness cannot rot. No timing assertions: it must finalize
 * transactions and print every figure of the --json line.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const runJs = join(dirname(fileURLToPath(import.meta.url)), '../../bench/run.js');

function bench(args: string[], ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [runJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // The bench stops its own children; SIGINT reaches them too if it hangs.
    const timer = setTimeout(() => p.kill('SIGINT'), ms);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('e2e.single: a devnet finalizes signed medical txs and the --json line has every figure', async () => {
  const args = ['e2e.single', '--seconds', '5', '--warmup', '1', '--drain', '5', '--patients', '100'];
  const r = await bench(
    [...args, '--practitioners', '10', '--limit-ms', '300', '--sample-receipts', '5', '--json'],
    180_000,
  );
  assert.is(r.code, 0, r.stderr.slice(-3000));
  const line = r.stdout.trim().split('\n').pop() as string;
  const j = JSON.parse(line) as Record<string, unknown>;
  assert.is(j.id, 'e2e.single');
  for (const k of ['ops_per_s', 'limit_ops_per_s', 'ratio', 'validators', 'seconds', 'height'])
    assert.type(j[k], 'number', `${k} is a number`);
  for (const k of ['p50_ms', 'p95_ms', 'p99_ms']) assert.ok(k in j, `${k} is printed`);
  assert.ok((j.ops_per_s as number) > 0, 'some txs finalized in the window');
  assert.ok((j.height as number) > 0);
  const procs = j.processes as Array<{ name: string; cpu_pct?: number; rss_mb?: number }>;
  assert.is(procs.length, 2, 'one validator and the load generator');
  assert.type(procs[0]?.rss_mb, 'number');
  // The accesses it drove were granted (a receipt sample).
  const receipts = j.receipts as Record<string, Record<string, number>>;
  assert.ok((receipts.access?.ok ?? 0) > 0, JSON.stringify(receipts));
  assert.is(Object.keys(receipts.access ?? {}).filter((k) => k !== 'ok').length, 0, JSON.stringify(receipts));
  // The live progress line and the run table.
  assert.match(r.stderr, /height=\d+ tx\/s=/);
  assert.match(r.stderr, /id\s+figure\s+value\s+baseline\s+change\s+limit\s+ratio/);
});

test.run();
