/**
 * Validator processes for the chaos harness: a fresh devnet on free loopback
 * ports, each node started, killed (-9), paused (SIGSTOP) and continued on its
 * own. Every spawned process is killed when this process exits.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevnet, readDevnet } from '../../src/cli/devnet.js';
import { trackNodeOutput } from '../e2e/node-output.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface ChaosNode {
  name: string;
  home: string;
  rpc: string;
  orgSecretKey: string;
  proc?: ChildProcess;
  state: 'up' | 'killed' | 'paused';
  /** Last output lines, shown when a node dies on its own. */
  tail: string[];
  /** Commits seen in its log: height, consensus round, wall time (ms). */
  commits: Array<{ height: number; round: number; at: number }>;
  /** Exits not caused by the harness. */
  crashes: number;
}

export class ChaosNet {
  readonly dir = mkdtempSync(join(tmpdir(), 'medchain-chaos-'));
  nodes: ChaosNode[] = [];
  chainId = '';

  static async create(validators: number, heartbeatMs: number): Promise<ChaosNet> {
    const net = new ChaosNet();
    const [p2p, rpcPort] = await freeBlock(validators);
    const m = await createDevnet({
      home: net.dir,
      validators,
      fresh: false,
      basePort: p2p,
      rpcPort,
      chainId: 'medchain-chaos',
      heartbeatMs,
    });
    net.chainId = m.chainId;
    net.nodes = (await readDevnet(net.dir)).nodes.map((n) => ({
      ...n,
      state: 'killed',
      tail: [],
      commits: [],
      crashes: 0,
    }));
    return net;
  }

  start(i: number): void {
    const n = this.nodes[i] as ChaosNode;
    const proc = spawn(process.execPath, [cli, 'start', '--home', n.home], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    live.add(proc);
    trackNodeOutput(proc, n, { maxCommits: 1_000_000, tailLines: 30, lineMax: 300, now: Date.now });
    proc.once('exit', () => {
      live.delete(proc);
      if (n.proc === proc && n.state === 'up') {
        n.crashes++;
        n.state = 'killed';
      }
    });
    n.proc = proc;
    n.state = 'up';
  }

  async kill(i: number): Promise<void> {
    const n = this.nodes[i] as ChaosNode;
    const p = n.proc;
    n.state = 'killed';
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  pause(i: number): void {
    const n = this.nodes[i] as ChaosNode;
    n.proc?.kill('SIGSTOP');
    n.state = 'paused';
  }

  resume(i: number): void {
    const n = this.nodes[i] as ChaosNode;
    n.proc?.kill('SIGCONT');
    n.state = 'up';
  }

  /** Kills every node (-9 works on paused ones too) and removes the data. */
  async close(keepDir = false): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.kill(i)));
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

const isFree = (p: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });

async function freeBlock(n: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let i = 0; i < 2 * n && ok; i++) ok = await isFree(base + i);
    if (ok) return [base, base + n];
  }
  throw new Error('no free port block');
}
