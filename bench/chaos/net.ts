/**
 * The processes of a chaos run: a fresh devnet of validators plus one full
 * (non-validator) node, each started, killed (-9), paused (SIGSTOP) and
 * continued on its own; optionally each in its own network namespace (for
 * partitions, see netns.ts) and on its own small tmpfs (for a full disk, see
 * disk.ts). Every spawned process is killed when this process exits.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevnet } from '../../src/cli/devnet.js';
import { defaultNodeConfig, loadConfig, type NodeConfig, saveConfig } from '../../src/node/config.js';
import { initHome } from '../../src/node/home.js';
import { trackNodeOutput } from '../e2e/node-output.js';
import { TmpfsDisks } from './disk.js';
import { NetnsLab } from './netns.js';
import { rpcAuth } from './rpc.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export type NodeState = 'up' | 'killed' | 'paused' | 'cut' | 'stopping';

export interface ChaosNode {
  name: string;
  home: string;
  rpc: string;
  /** The organization key of a validator; absent on the full node. */
  orgSecretKey?: string;
  validator: boolean;
  proc?: ChildProcess;
  state: NodeState;
  /** The clock offset it was last started with (ms). */
  skewMs: number;
  /** How its last process ended: exit code or signal. */
  lastExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Last output lines, shown when a node dies on its own. */
  tail: string[];
  /** Commits seen in its log: height, consensus round, wall time (ms). */
  commits: Array<{ height: number; round: number; at: number }>;
  /** Exits not caused by the harness. */
  crashes: number;
  /** Equivocation (double-signing) reports in its log: conflicting votes it received. */
  evidence: number;
}

export interface ChaosNetOptions {
  validators: number;
  heartbeatMs: number;
  /** Each node in its own network namespace (partitions); needs root. */
  netns: boolean;
  /** Each node's home on a tmpfs of this many MiB (full disks); 0 for none. */
  tmpfsMb: number;
}

export class ChaosNet {
  readonly dir = mkdtempSync(join(tmpdir(), 'medchain-chaos-'));
  nodes: ChaosNode[] = [];
  chainId = '';
  /** The nodes' operator token (personal data reads). */
  rpcToken: string | undefined;
  lab: NetnsLab | undefined;
  disks: TmpfsDisks | undefined;

  /** The validators come first (index = validator index in the schedule); the full node is last. */
  static async create(o: ChaosNetOptions): Promise<ChaosNet> {
    const net = new ChaosNet();
    try {
      await net.setUp(o);
    } catch (err) {
      await net.close();
      throw err;
    }
    return net;
  }

  private async setUp(o: ChaosNetOptions): Promise<void> {
    const total = o.validators + 1;
    const [p2p, rpcPort] = await freeBlock(total);
    const m = await createDevnet({
      home: this.dir,
      validators: o.validators,
      fresh: false,
      basePort: p2p,
      rpcPort,
      chainId: 'medchain-chaos',
      heartbeatMs: o.heartbeatMs,
    });
    this.chainId = m.chainId;
    this.rpcToken = m.rpcToken;
    rpcAuth.token = m.rpcToken;
    const base = () => ({ state: 'killed' as const, skewMs: 0, tail: [], commits: [], crashes: 0, evidence: 0 });
    this.nodes = m.nodes.map((n) => ({ ...n, validator: true, ...base() }));
    // The full node: follows the validators, serves RPC, signs nothing.
    const fullHome = join(this.dir, 'full');
    const { peerId: fullPeer } = await initHome(
      fullHome,
      {
        moniker: 'full',
        genesisFile: '../genesis.json',
        p2p: { ...defaultNodeConfig.p2p, listen: [`/ip4/127.0.0.1/tcp/${p2p + o.validators}`] },
        rpc: { ...defaultNodeConfig.rpc, port: rpcPort + o.validators, ...(m.rpcToken ? { token: m.rpcToken } : {}) },
      },
      { validator: false },
    );
    this.nodes.push({
      name: 'full',
      home: fullHome,
      rpc: `http://127.0.0.1:${rpcPort + o.validators}`,
      validator: false,
      ...base(),
    });
    const cfgs: NodeConfig[] = [];
    for (const n of this.nodes) cfgs.push(await loadConfig(n.home));
    const validatorPeers = m.nodes.map((n, i) => `/ip4/127.0.0.1/tcp/${p2p + i}/p2p/${n.peerId}`);
    const allowed = [...m.nodes.map((n) => n.peerId), fullPeer];
    for (const c of cfgs) c.p2p.allowedPeers = allowed;
    (cfgs[o.validators] as NodeConfig).p2p.peers = validatorPeers;
    if (o.netns) {
      this.lab = NetnsLab.create(total);
      const lab = this.lab;
      // Loopback addresses become each namespace's own address, in listen, peers and RPC.
      const moveAddr = (s: string): string => {
        const port = Number(/\/tcp\/(\d+)/.exec(s)?.[1]);
        return s.replace('/ip4/127.0.0.1/', `/ip4/${lab.addr(port - p2p)}/`);
      };
      for (const [i, c] of cfgs.entries()) {
        c.p2p.listen = c.p2p.listen.map(moveAddr);
        c.p2p.peers = c.p2p.peers.map(moveAddr);
        c.rpc.host = lab.addr(i);
        (this.nodes[i] as ChaosNode).rpc = `http://${lab.addr(i)}:${c.rpc.port}`;
      }
    }
    for (const [i, c] of cfgs.entries()) await saveConfig((this.nodes[i] as ChaosNode).home, c);
    if (o.tmpfsMb > 0)
      this.disks = TmpfsDisks.mount(
        this.nodes.filter((n) => n.validator).map((n) => n.home),
        o.tmpfsMb,
      );
  }

  get validators(): ChaosNode[] {
    return this.nodes.filter((n) => n.validator);
  }

  /** Starts node i, with a clock offset (ms) if given. */
  start(i: number, skewMs = 0): void {
    const n = this.nodes[i] as ChaosNode;
    const argv = [process.execPath, cli, 'start', '--home', n.home];
    const { cmd, args } = this.lab ? this.lab.wrap(i, argv) : { cmd: argv[0] as string, args: argv.slice(1) };
    const proc = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '', MEDCHAIN_CLOCK_OFFSET_MS: String(skewMs) },
    });
    live.add(proc);
    trackNodeOutput(proc, n, { maxCommits: 1_000_000, tailLines: 30, lineMax: 300, now: Date.now });
    // CHAOS_LOG_DIR keeps every node's whole output (one file per node, appended across restarts).
    const logDir = process.env.CHAOS_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      const file = createWriteStream(join(logDir, `${n.name}.log`), { flags: 'a' });
      file.write(`--- start ${new Date().toISOString()} skew ${skewMs}\n`);
      proc.stdout?.pipe(file, { end: false });
      proc.stderr?.pipe(file, { end: false });
      proc.once('close', (code, signal) => file.end(`--- exit ${code ?? signal} ${new Date().toISOString()}\n`));
    }
    let rest = '';
    proc.stdout?.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.includes('"equivocation evidence"')) n.evidence++;
    });
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      if (n.proc !== proc) return;
      n.lastExit = { code, signal };
      if (n.state === 'up' || n.state === 'cut') {
        n.crashes++;
        n.state = 'killed';
      }
    });
    n.proc = proc;
    n.skewMs = skewMs;
    n.state = 'up';
  }

  /** Whether node i's process has ended. */
  exited(i: number): boolean {
    const p = this.nodes[i]?.proc;
    return p === undefined || p.exitCode !== null || p.signalCode !== null;
  }

  async kill(i: number): Promise<void> {
    const n = this.nodes[i] as ChaosNode;
    const p = n.proc;
    n.state = 'killed';
    if (p === undefined || this.exited(i)) return;
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

  /** Takes node i off the network (its link down); it keeps running. */
  cut(i: number): void {
    if (this.lab === undefined) throw new Error('partition without network namespaces');
    this.lab.cut(i);
    (this.nodes[i] as ChaosNode).state = 'cut';
  }

  heal(i: number): void {
    this.lab?.heal(i);
    (this.nodes[i] as ChaosNode).state = 'up';
  }

  /** Kills every node (-9 works on paused ones too), removes namespaces, mounts and data. */
  async close(keepDir = false): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.kill(i)));
    this.lab?.closeSync();
    this.disks?.unmountSync();
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

const isFree = (p: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });

/** n free p2p ports, then n free RPC ports, in one block. */
async function freeBlock(n: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let i = 0; i < 2 * n && ok; i++) ok = await isFree(base + i);
    if (ok) return [base, base + n];
  }
  throw new Error('no free port block');
}
