import type { ChildProcess } from 'node:child_process';

export interface NodeOutput {
  /** Heights committed, from the node's `committed` log lines. */
  commits: { height: number; round: number; at: number }[];
  /** The last lines it printed, for error reports. */
  tail: string[];
  /** WS subscribers it dropped as too slow (rpc/ws.ts), counted when present. */
  wsSlowDrops?: number;
}

/** Keeps a node process's commits and the tail of its output (bounded: a long run stays small). */
export function trackNodeOutput(
  proc: ChildProcess,
  n: NodeOutput,
  o: { maxCommits: number; tailLines: number; lineMax: number; now: () => number },
): void {
  // A pipe cuts its output anywhere: a line split across two chunks is joined before it is parsed
  // (else a committed line cut in two is lost, and a stall looks longer than it was).
  const rest = new Map<unknown, string>();
  const keep = (src: unknown, d: Buffer): void => {
    const lines = ((rest.get(src) ?? '') + d.toString()).split('\n');
    const last = lines.pop() ?? '';
    rest.set(src, last.length > 64 * 1024 ? '' : last);
    for (const line of lines) {
      if (line.length === 0) continue;
      if (line.includes('"committed"'))
        try {
          const j = JSON.parse(line) as { msg?: string; height?: number; round?: number };
          if (j.msg === 'committed' && n.commits.length < o.maxCommits)
            n.commits.push({ height: j.height ?? 0, round: j.round ?? 0, at: o.now() });
        } catch {}
      if (n.wsSlowDrops !== undefined && line.includes('ws consumer too slow')) n.wsSlowDrops++;
      n.tail.push(line.length > o.lineMax ? `${line.slice(0, o.lineMax)}…` : line);
      if (n.tail.length > o.tailLines) n.tail.shift();
    }
  };
  proc.stdout?.on('data', (d: Buffer) => keep(proc.stdout, d));
  proc.stderr?.on('data', (d: Buffer) => keep(proc.stderr, d));
}
