/**
 * One e2e run: the all-core verify limit, a fresh devnet, the load-generator
 * process (state load, then the measured window), a live progress line,
 * per-process CPU/RSS, an optional CPU profile of validators. Every process it
 * starts is stopped in `finally`, and by an exit hook if the bench dies.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from '../measure.js';
import type { BenchContext, BenchResult } from '../types.js';
import { call } from './client.js';
import { perTx as countsPerTx, phaseMeans, readCounts, type WorkCounts } from './counts.js';
import { type CpuSample, cpuPercent, cpuSample, machine, memory, verifyAllCores } from './limits.js';
import type { LoadgenConfig, LoadgenResult, ToParent } from './loadgen.js';
import { E2eNet, track } from './net.js';
import { summarizeProfile, summarizeProfiles } from './profile.js';

const here = dirname(fileURLToPath(import.meta.url));

const num = (ctx: BenchContext, name: string, dflt: number): number => {
  const v = ctx.flags[name];
  if (typeof v !== 'string') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number, got ${v}`);
  return n;
};

/** Percentile of a sorted array (nearest rank). */
export function pct(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Latency histogram in buckets with upper bounds (ms), for the report. */
export function histogram(sorted: readonly number[]): Array<[number, number]> {
  const bounds: number[] = [];
  for (let b = 25; b <= 1000; b += 25) bounds.push(b);
  for (let b = 1100; b <= 5000; b += 100) bounds.push(b);
  for (let b = 5500; b <= 30_000; b += 500) bounds.push(b);
  const out: Array<[number, number]> = bounds.map((b) => [b, 0]);
  let i = 0;
  for (const v of sorted) {
    while (i < bounds.length - 1 && v > (bounds[i] as number)) i++;
    (out[i] as [number, number])[1]++;
  }
  while (out.length > 1 && (out[out.length - 1] as [number, number])[1] === 0) out.pop();
  return out;
}

export interface E2eOptions {
  id: string;
  validators: number;
}

export async function runE2e(ctx: BenchContext, o: E2eOptions): Promise<BenchResult> {
  const { log } = ctx;
  const validators = num(ctx, 'validators', o.validators);
  const seconds = num(ctx, 'seconds', 60);
  const rate = typeof ctx.flags.rate === 'string' ? num(ctx, 'rate', 0) : null;
  const patients = num(ctx, 'patients', 10_000);
  const practitioners = num(ctx, 'practitioners', Math.max(2, Math.min(500, Math.ceil(patients / 20))));
  const warmupMs = num(ctx, 'warmup', Math.min(5, Math.max(1, seconds / 5))) * 1000;
  const presignRate = num(ctx, 'presign-rate', validators === 1 ? 5000 : 3000);
  const profileFlag = ctx.flags['cpu-prof'];
  const profile =
    profileFlag === undefined ? [] : profileFlag === true ? [0] : String(profileFlag).split(',').map(Number);
  const profileDir = profile.length > 0 ? mkdtempSync(join(tmpdir(), `medchain-prof-${o.id}-`)) : undefined;

  log(`measuring raw ed25519 verifies/s on all cores (${num(ctx, 'limit-ms', 2000)} ms)`);
  const verify = await verifyAllCores(num(ctx, 'limit-ms', 2000));
  const limit = verify.total / validators;
  log(
    `verify: ${Math.round(verify.total).toLocaleString('en-US')}/s on ${verify.perThread.length} cores → limit ${Math.round(limit).toLocaleString('en-US')} tx/s per network of ${validators}`,
  );

  // One directory per run (an --against comparison runs several): node logs and the result.
  const logDir = typeof ctx.flags.logs === 'string' ? join(ctx.flags.logs, `${o.id}-${Date.now()}`) : undefined;
  const net = await E2eNet.create({
    validators,
    heartbeatMs: num(ctx, 'heartbeat-ms', 1000),
    pruning: ctx.flags.pruning !== 'off',
    ...(logDir !== undefined ? { logDir } : {}),
    profile,
    ...(profileDir ? { profileDir } : {}),
    log,
  });
  let gen: ChildProcess | undefined;
  let progress: NodeJS.Timeout | undefined;
  let result: BenchResult | undefined;
  let windowAt: [number, number] = [0, 0];
  try {
    net.start();
    await net.waitHeight(1, 60_000);
    log(`devnet up: ${validators} validator process(es), chain ${net.chainId}`);

    const config: LoadgenConfig = {
      urls: net.nodes.map((n) => n.rpc),
      chainId: net.chainId,
      orgKeys: net.nodes.map((n) => n.orgSecretKey),
      patients,
      practitioners,
      connections: num(ctx, 'connections', 4),
      batch: num(ctx, 'batch', 100),
      window: num(ctx, 'window', 20_000),
      loadWindow: num(ctx, 'load-window', 2000),
      rate,
      warmupMs,
      seconds,
      drainMs: num(ctx, 'drain', 15) * 1000,
      presign: Math.ceil(
        rate !== null ? rate * (seconds + warmupMs / 1000 + 1) : presignRate * (seconds + warmupMs / 1000),
      ),
      salt: Date.now() >>> 0,
      sampleReceipts: num(ctx, 'sample-receipts', 20),
    };
    const g = fork(join(here, 'loadgen.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    gen = g;
    track(g);
    g.send({ type: 'config', config });
    const pids = net.pids();
    const names = net.nodes.map((n) => n.name);
    let last: Extract<ToParent, { type: 'tick' }> | undefined;
    let cpuStart: (CpuSample | undefined)[] = [];
    let cpuEnd: (CpuSample | undefined)[] = [];
    const readAll = (): Promise<(WorkCounts | undefined)[]> => Promise.all(net.nodes.map((n) => readCounts(n.metrics)));
    let countsStart: Promise<(WorkCounts | undefined)[]> = Promise.resolve([]);
    let countsEnd: Promise<(WorkCounts | undefined)[]> = Promise.resolve([]);
    const allPids = (): number[] => [...pids, g.pid ?? -1];
    const started = performance.now();

    const out = await new Promise<{ load: Record<string, number>; run: LoadgenResult }>((resolve, reject) => {
      let load: Record<string, number> = {};
      const timeout = setTimeout(
        () => reject(new Error('load generator timed out')),
        20 * 60_000 + (seconds + warmupMs / 1000) * 1000 + config.drainMs,
      );
      g.on('message', (m: ToParent) => {
        switch (m.type) {
          case 'log':
            log(m.line);
            break;
          case 'ready':
            load = m.load;
            log(
              `state loaded in ${Math.round((performance.now() - started) / 1000)} s; driving ${rate === null ? 'saturation' : `${rate} tx/s`} for ${seconds} s after ${warmupMs / 1000} s warm-up`,
            );
            g.send({ type: 'go' });
            break;
          case 'window':
            if (m.phase === 'start') {
              cpuStart = allPids().map(cpuSample);
              countsStart = readAll();
              windowAt = [performance.now(), 0];
            } else {
              cpuEnd = allPids().map(cpuSample);
              countsEnd = readAll();
              windowAt[1] = performance.now();
            }
            break;
          case 'tick':
            last = m;
            break;
          case 'done':
            clearTimeout(timeout);
            resolve({ load, run: m.result });
            break;
          case 'error':
            clearTimeout(timeout);
            reject(new Error(`load generator: ${m.message}`));
            break;
        }
      });
      g.once('exit', (code) => {
        clearTimeout(timeout);
        reject(new Error(`load generator exited (${code})`));
      });
      // The live line: height, finalized tx/s, mempool depth of validator 0, latency so far.
      let lastHeight = 0;
      let sinceHeight = performance.now();
      let stallShown = false;
      progress = setInterval(async () => {
        if (last === undefined) return;
        if (last.height !== lastHeight) {
          lastHeight = last.height;
          sinceHeight = performance.now();
        } else if (last.pending > 0 && performance.now() - sinceHeight > 20_000 && !stallShown) {
          // No block for 20 s with transactions waiting: show what the validators said last.
          stallShown = true;
          log(`STALL: no block for 20 s at height ${lastHeight} with ${last.pending} txs waiting; validator logs:`);
          // Its own last commit and its age first: the tail's commit lines may all predate the stall.
          const now = performance.now();
          for (const n of net.nodes) {
            const c = n.commits[n.commits.length - 1];
            const seen =
              c === undefined
                ? 'none'
                : `height ${c.height} round ${c.round}, ${Math.round((now - c.at) / 1000)} s ago`;
            log(`--- ${n.name} (last commit: ${seen})\n${n.tail.slice(-12).join('\n')}`);
          }
        }
        let mempool = '?';
        try {
          const s = await call<{ mempoolSize: number }>(net.nodes[0]?.rpc as string, 'chain_getStatus');
          mempool = s.mempoolSize.toLocaleString('en-US');
        } catch {}
        const t = last;
        log(
          `t=${t.t}s height=${t.height} tx/s=${t.perSecond.toLocaleString('en-US')} mempool=${mempool} unfinalized=${t.pending.toLocaleString('en-US')}` +
            `${t.p50 !== undefined ? ` p50=${t.p50}ms p99=${t.p99}ms` : ''} load=${loadavg()[0]?.toFixed(2)}`,
        );
      }, 2000);
    });
    clearInterval(progress);
    const mem = allPids().map(memory);
    const run = out.run;
    // CPU ms each process spent per finalized tx: robust on a shared machine, unlike tx/s. Divided by
    // the ms one raw verify costs one core, it is the tx's cost in signature verifications.
    const verifyMs = 1000 / (verify.total / verify.perThread.length);
    const [c0, c1] = await Promise.all([countsStart, countsEnd]);
    const procs = [...names, 'loadgen'].map((name, i) => {
      const cpu = cpuPercent(cpuStart[i], cpuEnd[i]);
      const perTx =
        cpu === undefined || run.finalized_in_window === 0
          ? undefined
          : (cpu / 100) * ((windowAt[1] - windowAt[0]) / run.finalized_in_window);
      return {
        name,
        cpu_pct: cpu,
        ...(perTx !== undefined ? { cpu_ms_per_tx: round(perTx, 3), verifies_per_tx: round(perTx / verifyMs, 1) } : {}),
        // Counted, not estimated: signatures verified and txs offered to (decoded by) the mempool.
        ...countsPerTx(c0[i], c1[i], run.finalized_in_window),
        ...(i < names.length ? { height_phase_ms: phaseMeans(c0[i], c1[i]) } : {}),
        ...mem[i],
      };
    });
    const ops = run.finalized_in_window / run.window_s;
    const lat = run.latencies_ms;
    // Measured txs that never finalized (within --drain) count as infinitely late: a percentile that
    // lands on them is null, never a flattering number.
    const withLost =
      run.unfinalized > 0 ? [...lat, ...new Array<number>(run.unfinalized).fill(Number.POSITIVE_INFINITY)] : lat;
    const q = (x: number): number | null => {
      const v = pct(withLost, x);
      return v === undefined || !Number.isFinite(v) ? null : v;
    };
    const m = machine();
    // Blocks of validator 0 inside the window: size (from the finalized feed), interval, consensus round.
    const inWin = run.blocks.filter((b) => b[1] >= warmupMs && b[1] < warmupMs + seconds * 1000);
    const commits = (net.nodes[0]?.commits ?? []).filter((c) => c.at >= windowAt[0] && c.at <= windowAt[1]);
    const gaps = inWin.slice(1).map((b, i) => b[1] - (inWin[i] as [number, number, number])[1]);
    const blocks = {
      count: inWin.length,
      mean_txs: inWin.length ? round(inWin.reduce((a, b) => a + b[2], 0) / inWin.length) : 0,
      max_txs: Math.max(0, ...inWin.map((b) => b[2])),
      mean_interval_ms: gaps.length ? round(gaps.reduce((a, b) => a + b, 0) / gaps.length) : null,
      max_interval_ms: gaps.length ? Math.max(...gaps) : null,
      committed_after_round_0: commits.filter((c) => c.round > 0).length,
      max_round: Math.max(0, ...commits.map((c) => c.round)),
    };
    const res: BenchResult = {
      id: o.id,
      ops_per_s: round(ops),
      limit_ops_per_s: round(limit),
      ratio: round(ops / limit, 3),
      p50_ms: q(0.5),
      p95_ms: q(0.95),
      p99_ms: q(0.99),
      mode: rate === null ? 'saturation' : 'rate',
      rate,
      validators,
      seconds,
      pruning: ctx.flags.pruning !== 'off',
      warmup_s: warmupMs / 1000,
      height: run.height,
      blocks,
      submitted_per_s: round(run.submitted_in_window / run.window_s),
      unfinalized: run.unfinalized,
      errors: run.errors,
      kinds: run.kinds,
      receipts: run.receipts,
      signed_on_the_fly: run.signed_on_the_fly,
      resent_batches: run.resent_batches,
      busy_retries: run.busy_retries,
      timeout_retries: run.timeout_retries,
      feed: { ...run.feed, node_slow_consumer_drops: net.nodes.map((n) => n.wsSlowDrops) },
      state: out.load,
      verify_all_cores: round(verify.total),
      processes: procs,
      machine: m,
      series: { finalized_per_s: run.per_second, warmup_s: warmupMs / 1000 },
      latency_hist: histogram(lat),
    };
    result = res;
    if (logDir !== undefined) writeFileSync(join(logDir, 'result.json'), `${JSON.stringify(res)}\n`);
  } finally {
    if (progress) clearInterval(progress);
    if (gen && gen.exitCode === null && gen.signalCode === null) gen.kill('SIGKILL');
    await net.stop();
    if (profileDir !== undefined && existsSync(profileDir) && result !== undefined) {
      for (const i of profile) {
        const dir = join(profileDir, `node${i}`);
        if (!existsSync(dir)) continue;
        // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
        const files = readdirSync(dir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort((a, b) => (a.split('.')[4] === '0' ? -1 : b.split('.')[4] === '0' ? 1 : a.localeCompare(b)));
        // Only the measured window (profile time starts at the process start).
        const t0 = net.nodes[i]?.spawnedAt ?? 0;
        const range: [number, number] = [windowAt[0] - t0, windowAt[1] - t0];
        log(
          `CPU profiles of node${i} in ${dir}, measured window only (${Math.round(range[0])}–${Math.round(range[1])} ms after start): ${files.join(', ')}`,
        );
        for (const line of summarizeProfiles(dir, files, num(ctx, 'prof-top', 25), range)) log(line);
        const main = files[0];
        if (main !== undefined && result.profile === undefined) {
          const s = summarizeProfile(join(dir, main), 12, range);
          result.profile = { ...s, file: `node${i} main thread` };
        }
      }
    }
  }
  if (result === undefined) throw new Error('e2e run produced no result');
  return result;
}
