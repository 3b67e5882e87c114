/**
 * What the run must keep: every node has the same block hash and state root
 * at every height it holds (checked as heights appear, and again at the end);
 * every acknowledged tx is final with status ok on every node.
 */
import type { Ack } from './load.js';
import type { ChaosNet } from './net.js';
import { rpcBatch, rpcCall } from './rpc.js';

interface HeaderJson {
  hash: string;
  stateRoot: string;
}

export class SafetyCheck {
  readonly violations: string[] = [];
  private readonly canon = new Map<number, HeaderJson & { node: number }>();
  private readonly checked: number[];

  constructor(private readonly net: ChaosNet) {
    this.checked = net.nodes.map(() => 0);
  }

  /** Highest height compared on every node so far. */
  get heights(): number {
    return this.canon.size;
  }

  /** Compares the heights a node gained since its last check; a node that is down is skipped. */
  async checkNode(i: number): Promise<void> {
    const n = this.net.nodes[i];
    if (n === undefined || n.state !== 'up') return;
    let head: number;
    try {
      head = (await rpcCall<{ headHeight: number }>(n.rpc, 'chain_getStatus', [], 3_000)).headHeight;
    } catch {
      return; // restarting: next round
    }
    for (let from = (this.checked[i] as number) + 1; from <= head; from += 100) {
      const hs = Array.from({ length: Math.min(100, head - from + 1) }, (_, k) => from + k);
      let res: (HeaderJson | undefined)[];
      try {
        res = await rpcBatch<HeaderJson>(
          n.rpc,
          'chain_getHeader',
          hs.map((h) => [h]),
        );
      } catch {
        return;
      }
      for (const [k, h] of hs.entries()) {
        const got = res[k];
        if (got === undefined) return;
        const want = this.canon.get(h);
        if (want === undefined) this.canon.set(h, { ...got, node: i });
        else if (want.hash !== got.hash || want.stateRoot !== got.stateRoot)
          this.violations.push(
            `safety: height ${h}: ${n.name} has ${got.hash}/${got.stateRoot}, node${want.node} has ${want.hash}/${want.stateRoot}`,
          );
        this.checked[i] = h;
      }
    }
  }

  async checkAll(): Promise<void> {
    for (let i = 0; i < this.net.nodes.length; i++) await this.checkNode(i);
  }
}

/**
 * Acknowledged txs missing (or not ok) on some node, as violation lines, and how many acknowledged
 * txs are final and ok on every node. A node that does not answer finds nothing.
 */
export async function findLost(net: ChaosNet, acked: readonly Ack[]): Promise<{ found: number; lost: string[] }> {
  const lost: string[] = [];
  const okOn = new Array<number>(acked.length).fill(0);
  for (const n of net.nodes) {
    for (let k = 0; k < acked.length; k += 100) {
      const part = acked.slice(k, k + 100);
      let res: ({ status?: string } | undefined)[];
      try {
        res = await rpcBatch<{ status?: string }>(
          n.rpc,
          'tx_getReceipt',
          part.map((a) => [a.hash]),
          20_000,
        );
      } catch (err) {
        lost.push(`lost: ${n.name} did not answer tx_getReceipt (${String(err)})`);
        break;
      }
      for (const [j, r] of res.entries()) {
        if (r?.status === 'ok') okOn[k + j] = (okOn[k + j] as number) + 1;
        else lost.push(`lost: acknowledged tx ${part[j]?.hash} is not final on ${n.name}`);
      }
    }
  }
  return { found: okOn.filter((c) => c === net.nodes.length).length, lost };
}
