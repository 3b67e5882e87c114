/**
 * What each fault kind does to its victims and how it heals. Each returns
 * once the fault has been applied for its duration and lifted; the caller
 * then waits for the victims to catch up. Problems a fault reveals on its own
 * (a node that does not stop on a full disk, or stops the wrong way) are
 * returned as violation lines.
 */
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '../../consensus/sim/prng.js';
import { defaultChainParams } from '../../src/chain/genesis.js';
import { EXIT_DISK_FULL } from '../../src/cli/shutdown.js';
import type { ChaosNet } from './net.js';
import type { Fault } from './schedule.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface FaultContext {
  net: ChaosNet;
  rng: Rng;
  note: (line: string) => void;
  /** A node on a full disk must exit by itself within this. */
  diskStopMs: number;
}

/** Cuts or corrupts the end of a validator's WAL (it is down); describes what it did. */
export function damageWal(home: string, rng: Rng): string {
  const file = join(home, 'wal', 'consensus.wal');
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {}
  if (size === 0) return 'WAL empty, nothing to damage';
  if (rng.chance(0.5)) {
    const cut = rng.range(1, Math.min(size, 64));
    truncateSync(file, size - cut);
    return `WAL tail truncated by ${cut} of ${size} bytes`;
  }
  const bytes = readFileSync(file);
  const at = size - rng.range(1, Math.min(size, 32));
  bytes[at] = (bytes[at] as number) ^ (1 + rng.int(255));
  writeFileSync(file, bytes);
  return `WAL byte ${at} of ${size} corrupted`;
}

/** Within the allowed drift (genesis maxClockDriftMs), either way, at least a quarter of it. */
export function skewWithinBound(rng: Rng): number {
  const max = defaultChainParams.maxClockDriftMs;
  const ms = rng.range(Math.floor(max / 4), Math.floor(max / 2));
  return rng.chance(0.5) ? ms : -ms;
}

async function waitExit(ctx: FaultContext, i: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!ctx.net.exited(i) && Date.now() < until) await sleep(100);
  return ctx.net.exited(i);
}

export async function applyFault(ctx: FaultContext, f: Fault): Promise<string[]> {
  const { net, note } = ctx;
  const v = f.nodes[0] as number;
  const s = (f.ms / 1000).toFixed(1);
  switch (f.kind) {
    case 'kill':
      await net.kill(v);
      note(`kill -9 node${v} for ${s}s`);
      await sleep(f.ms);
      net.start(v);
      note(`restart node${v}`);
      return [];
    case 'pause':
      net.pause(v);
      note(`SIGSTOP node${v} for ${s}s`);
      await sleep(f.ms);
      net.resume(v);
      note(`SIGCONT node${v}`);
      return [];
    case 'partition':
    case 'quorum':
      for (const i of f.nodes) net.cut(i);
      note(
        `partition ${f.nodes.map((i) => `node${i}`).join('+')} for ${s}s${f.kind === 'quorum' ? ' (quorum lost)' : ''}`,
      );
      await sleep(f.ms);
      for (const i of f.nodes) net.heal(i);
      note(`heal ${f.nodes.map((i) => `node${i}`).join('+')}`);
      return [];
    case 'skew': {
      await net.kill(v);
      const skew = skewWithinBound(ctx.rng);
      await sleep(f.ms);
      net.start(v, skew);
      note(`restart node${v} with its clock ${skew > 0 ? '+' : ''}${skew} ms off`);
      return [];
    }
    case 'wal': {
      await net.kill(v);
      const what = damageWal((net.nodes[v] as { home: string }).home, ctx.rng);
      note(`kill -9 node${v}, ${what}, down ${s}s`);
      await sleep(f.ms);
      net.start(v, (net.nodes[v] as { skewMs: number }).skewMs);
      note(`restart node${v} over its damaged WAL`);
      return [];
    }
    case 'disk': {
      const n = net.nodes[v] as { home: string; state: string; lastExit?: { code: number | null } };
      if (net.disks === undefined) throw new Error('disk fault without tmpfs disks');
      n.state = 'stopping';
      net.disks.fill(n.home);
      note(`disk of node${v} full`);
      const out: string[] = [];
      if (!(await waitExit(ctx, v, ctx.diskStopMs))) {
        out.push(`disk: node${v} did not stop within ${ctx.diskStopMs} ms of its disk filling up`);
        await net.kill(v);
      } else if (n.lastExit?.code !== EXIT_DISK_FULL) {
        out.push(`disk: node${v} on a full disk exited with ${JSON.stringify(n.lastExit)}, not ${EXIT_DISK_FULL}`);
      } else note(`node${v} stopped cleanly (exit ${EXIT_DISK_FULL})`);
      n.state = 'killed';
      await sleep(f.ms);
      net.disks.free(n.home);
      net.start(v);
      note(`space freed, restart node${v}`);
      return out;
    }
  }
}
