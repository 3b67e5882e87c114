/**
 * Network partitions for the chaos harness: each node runs in its own network
 * namespace, joined to one bridge in the harness's namespace by a veth pair.
 * Cutting a node = taking the bridge side of its veth down (no route to any
 * peer, nor to the harness); healing = bringing it back up. This kernel has
 * no netem, so the faults are all-or-nothing per link.
 *
 * Everything created is named with one run tag and removed by close(), and
 * also (synchronously) when the process exits, including on SIGINT/SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });

const labs = new Set<NetnsLab>();
process.once('exit', () => {
  for (const l of labs) l.closeSync();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    for (const l of labs) l.closeSync();
    process.exit(130);
  });

/** Why namespaces cannot be used here, or null when they can (tried for real, then removed). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  const probe = `mcprobe${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
    ip('link', 'add', `${probe}a`, 'type', 'veth', 'peer', 'name', `${probe}b`);
    ip('link', 'del', `${probe}a`);
    return null;
  } catch (err) {
    return `ip netns/veth failed: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {}
  }
}

export class NetnsLab {
  private readonly tag = `mc${randomBytes(2).toString('hex')}`;
  /** A /24 in 10.0.0.0/8 picked per run, so two runs on one machine do not collide. */
  private readonly net: string;
  private readonly made: string[] = [];
  private bridgeUp = false;
  private closed = false;

  private constructor(readonly size: number) {
    const r = randomBytes(2);
    this.net = `10.${200 + ((r[0] as number) % 50)}.${r[1] as number}`;
    labs.add(this);
  }

  static create(size: number): NetnsLab {
    if (size > 250) throw new Error('netns lab: at most 250 nodes');
    const lab = new NetnsLab(size);
    try {
      lab.setUp();
    } catch (err) {
      lab.closeSync();
      throw err;
    }
    return lab;
  }

  ns(i: number): string {
    return `${this.tag}-n${i}`;
  }

  private hostIf(i: number): string {
    return `${this.tag}h${i}`;
  }

  private get bridge(): string {
    return `${this.tag}br`;
  }

  /** The node's address (also how the harness reaches its RPC). */
  addr(i: number): string {
    return `${this.net}.${i + 1}`;
  }

  private setUp(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    this.bridgeUp = true;
    ip('addr', 'add', `${this.net}.254/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    for (let i = 0; i < this.size; i++) {
      const ns = this.ns(i);
      ip('netns', 'add', ns);
      this.made.push(ns);
      ip('link', 'add', this.hostIf(i), 'type', 'veth', 'peer', 'name', `${this.tag}p${i}`);
      ip('link', 'set', `${this.tag}p${i}`, 'netns', ns);
      ip('-n', ns, 'link', 'set', `${this.tag}p${i}`, 'name', 'eth0');
      ip('-n', ns, 'addr', 'add', `${this.addr(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('link', 'set', this.hostIf(i), 'master', this.bridge);
      ip('link', 'set', this.hostIf(i), 'up');
    }
  }

  /** The command that runs argv inside node i's namespace (`ip netns exec` execs: same pid, signals reach it). */
  wrap(i: number, argv: string[]): { cmd: string; args: string[] } {
    return { cmd: 'ip', args: ['netns', 'exec', this.ns(i), ...argv] };
  }

  /** Cuts node i off from every peer and the harness. */
  cut(i: number): void {
    ip('link', 'set', this.hostIf(i), 'down');
  }

  heal(i: number): void {
    ip('link', 'set', this.hostIf(i), 'up');
  }

  /** Whether node i's link is up (for tests). */
  isUp(i: number): boolean {
    return /state UP|,UP[,>]/.test(ip('link', 'show', this.hostIf(i)));
  }

  /** Removes the namespaces (their veths go with them) and the bridge; idempotent, never throws. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    labs.delete(this);
    for (const ns of this.made)
      try {
        ip('netns', 'del', ns);
      } catch {}
    if (this.bridgeUp)
      try {
        ip('link', 'del', this.bridge);
      } catch {}
  }

  /** Names this lab created that still exist (a cleanup check). */
  leftovers(): string[] {
    const nss = ip('netns', 'list')
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${this.tag}-`));
    const links = ip('-o', 'link', 'show')
      .split('\n')
      .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
      .filter((n) => n.startsWith(this.tag));
    return [...nss, ...links];
  }
}
