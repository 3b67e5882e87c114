import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, type TestNet } from '../helpers/procs.js';

/**
 * Free ports for ops listeners that no node of `net` is configured to use: the nodes have not
 * bound their p2p and RPC ports yet, so the OS may hand exactly those out as free.
 */
export async function opsPorts(net: TestNet, n: number): Promise<number[]> {
  const taken = new Set<number>();
  for (const node of net.nodes) {
    const cfg = JSON.parse(await readFile(join(node.home, 'config.json'), 'utf8'));
    taken.add(cfg.rpc.port);
    for (const a of cfg.p2p.listen as string[]) taken.add(Number(a.split('/').pop()));
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const ports = (await freePorts(n + taken.size)).filter((p) => !taken.has(p));
    if (ports.length >= n) return ports.slice(0, n);
  }
  throw new Error('no free ops ports');
}

/** Enables the ops listener in a node's config.json. */
export async function enableOps(home: string, port: number, token?: string): Promise<void> {
  const file = join(home, 'config.json');
  const cfg = JSON.parse(await readFile(file, 'utf8'));
  cfg.ops = { enabled: true, host: '127.0.0.1', port, ...(token ? { token } : {}) };
  await writeFile(file, JSON.stringify(cfg, null, 2));
}
