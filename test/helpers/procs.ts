/**
 * Real node processes for network tests: a devnet in a temp dir on free
 * loopback ports, nodes started and killed individually, queried over JSON-RPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevnet, readDevnet } from '../../src/cli/devnet.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

/**
 * The operator token of every test node (personal data is never open without one). It lives in
 * MEDCHAIN_RPC_TOKEN, which the SDK's clients, the CLI processes tests spawn (they inherit the
 * environment) and the helpers' raw calls all pick up, so suites read as the operator unless they
 * sign in as someone.
 */
export function operatorToken(): string {
  process.env.MEDCHAIN_RPC_TOKEN ??= randomBytes(32).toString('hex');
  return process.env.MEDCHAIN_RPC_TOKEN;
}

/** Writes the operator token into a node home's config.json (mode 0600: it holds a secret). */
export function giveOperatorToken(home: string): void {
  const file = join(home, 'config.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as { rpc?: Record<string, unknown> };
  cfg.rpc = { ...cfg.rpc, token: operatorToken() };
  writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Ports for processes a test starts, probed free on loopback just before. They come from below
 * the kernel's ephemeral range (32768-60999 on Linux), so no outgoing connection of any process on
 * the machine can take one between the probe and the node's bind (a port from listen(0) could be);
 * each test process starts at a random point and walks on, so it never hands out a port twice and
 * concurrent test processes rarely meet.
 */
const PORT_LOW = 20_000;
const PORT_HIGH = 32_000;
let nextPort = PORT_LOW + randomInt(PORT_HIGH - PORT_LOW);

/** The next `n` consecutive candidate ports (wrapping to PORT_LOW as a block). */
function takePorts(n: number): number[] {
  if (nextPort + n > PORT_HIGH) nextPort = PORT_LOW;
  const out = Array.from({ length: n }, (_, i) => nextPort + i);
  nextPort += n;
  return out;
}

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries >= 1000) throw new Error('no free port');
    const [p] = takePorts(1) as [number];
    if (await allFree([p])) out.push(p);
  }
  return out;
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  let res: Response | undefined;
  // A loaded machine can drop a loopback connection now and then: retry transport errors, not RPC errors.
  for (let attempt = 0; res === undefined; attempt++) {
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken()}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
    } catch (err) {
      if (attempt >= 4) throw err;
      await sleep(200 * (attempt + 1));
    }
  }
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: unknown } };
  if (body.error) throw Object.assign(new Error(body.error.message), { data: body.error.data });
  return body.result as T;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined, or throws after `ms`. */
export async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export interface TestNode {
  name: string;
  home: string;
  rpc: string;
  proc?: ChildProcess;
  output: string[];
  stopping?: boolean;
}

export class TestNet {
  readonly dir = mkdtempSync(join(tmpdir(), 'medchain-net-'));
  nodes: TestNode[] = [];

  static async create(validators: number, heartbeatMs = 300): Promise<TestNet> {
    const net = new TestNet();
    const [p2p, rpcPort] = await freeBlock(validators);
    await createDevnet({
      home: net.dir,
      validators,
      fresh: false,
      basePort: p2p,
      rpcPort,
      chainId: 'test-devnet',
      heartbeatMs,
    });
    const m = await readDevnet(net.dir);
    net.nodes = m.nodes.map((n) => ({ name: n.name, home: n.home, rpc: n.rpc, output: [] }));
    for (const n of net.nodes) giveOperatorToken(n.home);
    return net;
  }

  start(i: number): void {
    const n = this.nodes[i] as TestNode;
    const proc = spawn(process.execPath, [cli, 'start', '--home', n.home], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (d: Buffer): void => {
      n.output.push(d.toString());
      if (n.output.length > 400) n.output.shift();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    // A node that dies on its own is a bug: show why.
    proc.on('exit', (code, signal) => {
      if (n.proc === proc && !n.stopping) {
        process.stderr.write(
          `\n${n.name} exited unexpectedly (${signal ?? code}); last output:\n${n.output.join('').slice(-4000)}\n`,
        );
      }
    });
    n.stopping = false;
    n.proc = proc;
  }

  startAll(): void {
    for (let i = 0; i < this.nodes.length; i++) this.start(i);
  }

  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.nodes[i]?.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    (this.nodes[i] as TestNode).stopping = true;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  async height(i: number): Promise<number> {
    return (await rpc<{ headHeight: number }>((this.nodes[i] as TestNode).rpc, 'chain_getStatus')).headHeight;
  }

  async waitHeight(i: number, h: number, ms = 30_000): Promise<void> {
    await until(`${this.nodes[i]?.name} at height ${h}`, ms, async () =>
      (await this.height(i)) >= h ? true : undefined,
    );
  }

  async header(i: number, h: number): Promise<{ hash: string; stateRoot: string }> {
    return rpc((this.nodes[i] as TestNode).rpc, 'chain_getHeader', [h]);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.kill(i, 'SIGTERM')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The first of `n` consecutive free ports, probed on loopback. */
export async function freePortRun(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidates = takePorts(n);
    if (await allFree(candidates)) return candidates[0] as number;
  }
  throw new Error('no free port block');
}

/** Two runs of n consecutive free ports (p2p and RPC). */
async function freeBlock(n: number): Promise<[number, number]> {
  const base = await freePortRun(2 * n);
  return [base, base + n];
}

/** Whether a loopback port can be bound now. */
export const portFree = (p: number): Promise<boolean> => allFree([p]);

async function allFree(ports: number[]): Promise<boolean> {
  for (const p of ports) {
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (!ok) return false;
  }
  return true;
}

/** Adds a non-validator node (allowed by every validator) to a devnet that has not started yet. */
export async function addFullNode(net: TestNet, name = 'full'): Promise<TestNode> {
  const { initHome } = await import('../../src/node/home.js');
  const { readFile, writeFile } = await import('node:fs/promises');
  const [p2pPort, rpcPort] = await freePorts(2);
  const home = join(net.dir, name);
  const validatorCfgs = await Promise.all(
    net.nodes.map(async (n) => JSON.parse(await readFile(join(n.home, 'config.json'), 'utf8'))),
  );
  const validatorAddrs = validatorCfgs.map((c, i) => `${c.p2p.listen[0]}/p2p/${c.p2p.allowedPeers[i]}`);
  const { peerId } = await initHome(
    home,
    {
      moniker: name,
      genesisFile: '../genesis.json',
      p2p: {
        listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`],
        peers: validatorAddrs,
        open: false,
        allowedPeers: validatorCfgs[0].p2p.allowedPeers,
      },
      rpc: { enabled: true, host: '127.0.0.1', port: rpcPort as number, token: operatorToken() },
    },
    { validator: false },
  );
  for (const [i, n] of net.nodes.entries()) {
    const cfg = validatorCfgs[i];
    cfg.p2p.allowedPeers = [...cfg.p2p.allowedPeers, peerId];
    await writeFile(join(n.home, 'config.json'), JSON.stringify(cfg, null, 2));
  }
  const node: TestNode = { name, home, rpc: `http://127.0.0.1:${rpcPort}`, output: [] };
  net.nodes.push(node);
  return node;
}
