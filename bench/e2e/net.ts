/**
 * A fresh devnet of separate validator processes on free loopback ports,
 * started from the compiled CLI (`medchain start --home DIR`). Every process
 * it spawns is killed by `stop()`, and by an exit hook if the bench dies.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevnet, readDevnet } from '../../src/cli/devnet.js';
import { call } from './client.js';
import { trackNodeOutput } from './node-output.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

const live = new Set<ChildProcess>();
let hooked = false;
/** Kills every spawned process still alive when this process exits (synchronous: exit hooks cannot wait). */
export function track(p: ChildProcess): void {
  live.add(p);
  p.once('exit', () => live.delete(p));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export interface NetNode {
  name: string;
  home: string;
  rpc: string;
  orgSecretKey: string;
  /** Its /metrics URL (work counters). */
  metrics?: string;
  proc?: ChildProcess;
  /** The last lines of its output, for errors. */
  tail: string[];
  /** Blocks it committed (from its `committed` log lines): height, consensus round, when (performance.now()). */
  commits: Array<{ height: number; round: number; at: number }>;
  /** WS subscribers it dropped as too slow (its warn lines). */
  wsSlowDrops: number;
  /** When it was spawned (performance.now()), to place CPU-profile samples in time. */
  spawnedAt?: number;
}

export interface NetOptions {
  validators: number;
  heartbeatMs: number;
  /** Validator indexes to run under `node --cpu-prof`, writing into `profileDir`. */
  profile: number[];
  profileDir?: string;
  /** false writes `pruning.enabled: false` into each node's config.json. */
  pruning: boolean;
  /** Each node's whole output is also written to <logDir>/<name>.log (kept after the run). */
  logDir?: string;
  log: (line: string) => void;
}

export class E2eNet {
  readonly dir = mkdtempSync(join(tmpdir(), 'medchain-e2e-'));
  nodes: NetNode[] = [];
  chainId = '';

  private constructor(private readonly o: NetOptions) {}

  static async create(o: NetOptions): Promise<E2eNet> {
    const net = new E2eNet(o);
    const [p2p, rpcPort, opsPort] = await freeBlock(o.validators);
    const m = await createDevnet({
      home: net.dir,
      validators: o.validators,
      fresh: false,
      basePort: p2p,
      rpcPort,
      opsPort,
      chainId: 'medchain-e2e',
      heartbeatMs: o.heartbeatMs,
    });
    net.chainId = m.chainId;
    // Receipts are not public: the load generator (forked later, same environment) reads as the operator.
    if (m.rpcToken !== undefined) process.env.MEDCHAIN_RPC_TOKEN = m.rpcToken;
    net.nodes = (await readDevnet(net.dir)).nodes.map((n) => ({ ...n, tail: [], commits: [], wsSlowDrops: 0 }));
    if (!o.pruning)
      for (const n of net.nodes) {
        const file = join(n.home, 'config.json');
        const cfg = JSON.parse(readFileSync(file, 'utf8')) as { pruning?: Record<string, unknown> };
        cfg.pruning = { ...cfg.pruning, enabled: false };
        writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
      }
    return net;
  }

  start(): void {
    for (const [i, n] of this.nodes.entries()) {
      const args: string[] = [];
      if (this.o.profile.includes(i) && this.o.profileDir !== undefined) {
        // One directory per node: the main thread and each worker thread write their own profile.
        const dir = join(this.o.profileDir, n.name);
        mkdirSync(dir, { recursive: true });
        args.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
      }
      // An IPC channel: a node whose launcher dies stops itself (src/cli/start.ts).
      const proc = spawn(process.execPath, [...args, cli, 'start', '--home', n.home], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      track(proc);
      n.spawnedAt = performance.now();
      if (this.o.logDir !== undefined) {
        mkdirSync(this.o.logDir, { recursive: true });
        const file = createWriteStream(join(this.o.logDir, `${n.name}.log`));
        proc.stdout?.pipe(file, { end: false });
        proc.stderr?.pipe(file, { end: false });
        proc.once('close', () => file.end());
      }
      trackNodeOutput(proc, n, { maxCommits: 100_000, tailLines: 50, lineMax: 400, now: () => performance.now() });
      proc.once('exit', (code, signal) => {
        if (!this.stopping) this.o.log(`${n.name} exited early (${signal ?? code}):\n${n.tail.slice(-15).join('\n')}`);
      });
      n.proc = proc;
    }
  }

  private stopping = false;

  pids(): number[] {
    return this.nodes.map((n) => n.proc?.pid ?? -1);
  }

  /** Waits until every validator has committed `height`. */
  async waitHeight(height: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (const n of this.nodes) {
      for (;;) {
        if (n.proc?.exitCode !== null && n.proc?.exitCode !== undefined)
          throw new Error(`${n.name} exited:\n${n.tail.join('\n')}`);
        try {
          const s = await call<{ headHeight: number }>(n.rpc, 'chain_getStatus');
          if (s.headHeight >= height) break;
        } catch {}
        if (Date.now() > deadline) throw new Error(`${n.name} did not reach height ${height}:\n${n.tail.join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** SIGTERM (a clean shutdown writes CPU profiles), SIGKILL after `graceMs`; removes the data dir. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        const p = n.proc;
        if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        p.kill('SIGTERM');
        const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const isFree = (p: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });

/** Two runs of n consecutive free ports (p2p, then RPC). */
/** p2p, RPC and operations (metrics) ports: n each, in one free block. */
async function freeBlock(n: number): Promise<[number, number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + (((await freePort()) * 7) % 20_000);
    let ok = true;
    for (let i = 0; i < 3 * n && ok; i++) ok = await isFree(base + i);
    if (ok) return [base, base + n, base + 2 * n];
  }
  throw new Error('no free port block');
}
