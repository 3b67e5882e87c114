/**
 * The devnet's calm terminal: one status line per node (height, peers, finalized txs/s), redrawn in
 * place on a terminal, printed every 10 s otherwise. Warnings and errors from the nodes still get
 * through (above the status lines); `--verbose` prints every log line instead.
 */
import { MedchainClient } from '../client/client.js';

interface NodeStatus {
  name: string;
  client: MedchainClient;
  height: number | null;
  peers: number | null;
  mempool: number | null;
  up: boolean;
}

/** Txs finalized per second over the last 10 s, from the blocks themselves. */
class Rate {
  private firstAt: number | undefined;
  private readonly samples: { at: number; txs: number }[] = [];
  add(txs: number, now: number): void {
    this.firstAt ??= now;
    this.samples.push({ at: now, txs });
    while (this.samples.length > 0 && (this.samples[0] as { at: number }).at < now - 10_000) this.samples.shift();
  }
  perSecond(now: number): number {
    if (this.firstAt === undefined) return 0;
    const total = this.samples.reduce((a, s) => a + s.txs, 0);
    return total / Math.min(10, Math.max(1, (now - this.firstAt) / 1000));
  }
}

export class StatusBoard {
  private readonly nodes: NodeStatus[];
  private readonly rate = new Rate();
  private counted = 0;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;
  private polling = false;

  constructor(
    nodes: { name: string; rpc: string }[],
    /** The devnet's operator token: peers and block bodies are not public. */
    token: string | undefined,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly intervalMs = 1000,
  ) {
    this.nodes = nodes.map((n) => ({
      name: n.name,
      client: MedchainClient.http(n.rpc, token === undefined ? {} : { token }),
      height: null,
      peers: null,
      mempool: null,
      up: false,
    }));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.clear();
  }

  /** A line from elsewhere (a warning, an exit): printed above the status lines. */
  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw();
  }

  private async tick(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all(this.nodes.map((n) => this.poll(n)));
      await this.countTxs();
      const now = Date.now();
      if (this.out.isTTY) {
        this.clear();
        this.draw();
      } else if (now - this.lastPlain >= 10_000) {
        this.lastPlain = now;
        for (const l of this.lines()) this.out.write(`${l}\n`);
      }
    } finally {
      this.polling = false;
    }
  }

  private async poll(n: NodeStatus): Promise<void> {
    try {
      const s = await n.client.status();
      n.height = s.headHeight;
      n.mempool = s.mempoolSize;
      n.up = true;
    } catch {
      n.up = false;
      return;
    }
    try {
      n.peers = (await n.client.call('net_peers')).length;
    } catch {
      n.peers = null;
    }
  }

  /** Counts the txs of blocks finalized since the last tick (one node is enough: one chain). */
  private async countTxs(): Promise<void> {
    const src = this.nodes.find((n) => n.up && n.height !== null);
    if (src === undefined || src.height === null) return;
    if (this.counted === 0) this.counted = src.height;
    const now = Date.now();
    for (let h = this.counted + 1; h <= src.height && h <= this.counted + 50; h++) {
      try {
        const b = await src.client.call('chain_getBlock', { block: h });
        this.rate.add(b.txs.length, now);
      } catch {
        return;
      }
      this.counted = h;
    }
  }

  private lines(): string[] {
    const tps = this.rate.perSecond(Date.now());
    return this.nodes.map((n) =>
      n.up
        ? `${n.name.padEnd(6)} height ${String(n.height).padStart(6)}  peers ${n.peers ?? '?'}  txs/s ${tps.toFixed(1).padStart(7)}  mempool ${n.mempool}`
        : `${n.name.padEnd(6)} starting or unreachable`,
    );
  }

  private draw(): void {
    if (!this.out.isTTY || this.timer === undefined) return;
    const lines = this.lines();
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  private clear(): void {
    if (!this.out.isTTY || this.drawn === 0) return;
    // Up over the status lines and erase them.
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}

/** The level of a node's JSON log line (pino numbers), or undefined for a line that is not JSON. */
export function levelOf(line: string): number | undefined {
  try {
    const j = JSON.parse(line) as { level?: unknown };
    return typeof j.level === 'number' ? j.level : undefined;
  } catch {
    return undefined;
  }
}
