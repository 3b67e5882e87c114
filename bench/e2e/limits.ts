/**
 * The physical limits an e2e run is compared with, measured in the same run,
 * and per-process CPU/RSS from /proc.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Raw OpenSSL Ed25519 verifies/s on every core at once: one worker thread per
 * core verifying 256 distinct (key, 200-byte message) pairs with cached
 * KeyObjects for `ms`. The sum is what the machine can verify, the ceiling of
 * a network whose validators all verify every transaction on this machine.
 */
export async function verifyAllCores(ms: number): Promise<{ total: number; perThread: number[] }> {
  const n = availableParallelism();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const c = require('node:crypto');
    const items = [];
    for (let k = 0; k < 256; k++) {
      const { publicKey, privateKey } = c.generateKeyPairSync('ed25519');
      const msg = c.randomBytes(200);
      items.push({ key: publicKey, msg, sig: c.sign(null, msg, privateKey) });
    }
    parentPort.once('message', () => {
      const t0 = process.hrtime.bigint();
      const end = t0 + BigInt(workerData.ms) * 1000000n;
      let ops = 0, now = t0;
      do {
        for (let j = 0; j < 64; j++) {
          const it = items[(ops + j) & 255];
          if (!c.verify(null, it.msg, it.key, it.sig)) throw new Error('rejected');
        }
        ops += 64;
        now = process.hrtime.bigint();
      } while (now < end);
      parentPort.postMessage((ops * 1e9) / Number(now - t0));
    });
    parentPort.postMessage('ready');
  `;
  const workers = Array.from({ length: n }, () => new Worker(code, { eval: true, workerData: { ms } }));
  try {
    // Start together, after every worker has its keys.
    await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
    const results = workers.map(
      (w) =>
        new Promise<number>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    for (const w of workers) w.postMessage('go');
    const perThread = await Promise.all(results);
    return { total: perThread.reduce((a, b) => a + b, 0), perThread };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export const CLK_TCK = 100;

export interface CpuSample {
  /** user + system ticks of all threads. */
  ticks: number;
  at: number;
}

export function cpuSample(pid: number): CpuSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ticks: Number(rest[11]) + Number(rest[12]), at: performance.now() };
  } catch {
    return undefined;
  }
}

/** CPU use between two samples, in percent of one core. */
export const cpuPercent = (a: CpuSample | undefined, b: CpuSample | undefined): number | undefined =>
  a === undefined || b === undefined || b.at <= a.at
    ? undefined
    : Math.round(((b.ticks - a.ticks) / CLK_TCK / ((b.at - a.at) / 1000)) * 1000) / 10;

export function memory(pid: number): { rss_mb?: number; rss_peak_mb?: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number | undefined => {
      const m = new RegExp(`${name}:\\s+(\\d+) kB`).exec(s)?.[1];
      return m === undefined ? undefined : Math.round((Number(m) / 1024) * 10) / 10;
    };
    const out: { rss_mb?: number; rss_peak_mb?: number } = {};
    const rss = kb('VmRSS');
    const hwm = kb('VmHWM');
    if (rss !== undefined) out.rss_mb = rss;
    if (hwm !== undefined) out.rss_peak_mb = hwm;
    return out;
  } catch {
    return {};
  }
}

export function machine(): { cpu: string; cores: number; node: string; loadavg: number[] } {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
