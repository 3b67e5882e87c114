/**
 * The end-of-run liveness check. A node that does not answer is not at height 0:
 * it is either deliberately down (then it is brought back first and must catch
 * up like the others) or supposed to be up and silent (a failure, named as such).
 * The target is judged only from heights nodes actually reported.
 */
import type { NodeState } from './net.js';

/** What the check needs of a ChaosNet (a fake in tests). */
export interface LivenessNet {
  nodes: ReadonlyArray<{ name: string; state: NodeState; skewMs: number }>;
  kill(i: number): Promise<void>;
  start(i: number, skewMs?: number): void;
  resume(i: number): void;
  heal(i: number): void;
}

/** One poll: each node's head, or undefined where it did not answer. */
export type Heads = (number | undefined)[];

/** Brings back every node that is down, paused or cut (they must catch up too); names what it did. */
export async function bringBack(net: LivenessNet): Promise<string[]> {
  const did: string[] = [];
  for (const [i, n] of net.nodes.entries()) {
    const was = n.state;
    if (was === 'up') continue;
    if (was === 'paused') net.resume(i);
    else if (was === 'cut') net.heal(i);
    else {
      await net.kill(i); // a stopping process must be gone before another one opens its home
      net.start(i, n.skewMs);
    }
    did.push(`${n.name} was ${was} at the end: brought back`);
  }
  return did;
}

/** The height every node must pass: beyond the highest head any node reported; undefined if none answered. */
export function livenessTarget(heads: Heads, margin = 2): number | undefined {
  const known = heads.filter((h): h is number => h !== undefined);
  return known.length === 0 ? undefined : Math.max(...known) + margin;
}

/** Why the nodes are not all at `target` yet (empty: they are): silent nodes named, never counted as 0. */
export function shortOf(names: readonly string[], heads: Heads, target: number, last: Heads = []): string[] {
  const out: string[] = [];
  names.forEach((name, i) => {
    const h = heads[i];
    if (h === undefined) {
      const seen = last[i];
      out.push(`${name} did not answer${seen === undefined ? '' : ` (last reported height ${seen})`}`);
    } else if (h < target) out.push(`${name} at height ${h} < ${target}`);
  });
  return out;
}

/** Keeps, per node, the last height it reported. */
export function remember(last: Heads, heads: Heads): Heads {
  return heads.map((h, i) => h ?? last[i]);
}

/** Per node name, its head or null where it did not answer (the summary's honest heights). */
export function headsByName(names: readonly string[], heads: Heads): Record<string, number | null> {
  return Object.fromEntries(names.map((n, i) => [n, heads[i] ?? null]));
}
