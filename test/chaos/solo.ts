/** One validator process of a ChaosNet, for the focused fault tests: start, poll its head, stop. */
import { ChaosNet } from '../../bench/chaos/net.js';
import { rpcCall } from '../../bench/chaos/rpc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function soloNet(tmpfsMb = 0): Promise<ChaosNet> {
  return ChaosNet.create({ validators: 1, heartbeatMs: 200, netns: false, tmpfsMb });
}

export interface Status {
  headHeight: number;
  headTime: number;
  headHash?: string;
}

export async function status(net: ChaosNet): Promise<Status | undefined> {
  try {
    return await rpcCall<Status>((net.nodes[0] as { rpc: string }).rpc, 'chain_getStatus', [], 3_000);
  } catch {
    return undefined;
  }
}

/** Polls node0 until its head reaches `height` (a loaded machine starts slowly: bounded by `ms`). */
export async function waitHeight(net: ChaosNet, height: number, ms = 240_000): Promise<Status> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const s = await status(net);
    if (s !== undefined && s.headHeight >= height) return s;
    if (net.exited(0)) throw new Error(`node0 exited:\n${net.nodes[0]?.tail.join('\n')}`);
    await sleep(200);
  }
  throw new Error(`node0 not at height ${height} within ${ms} ms:\n${net.nodes[0]?.tail.join('\n')}`);
}

export async function header(
  net: ChaosNet,
  height: number,
): Promise<{ hash: string; stateRoot: string; time: number }> {
  return rpcCall((net.nodes[0] as { rpc: string }).rpc, 'chain_getHeader', [height], 5_000);
}
