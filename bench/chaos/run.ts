/**
 * One chaos run: a devnet of validator processes and a full node under steady
 * load (txs, and vault opens through the full node), a seeded schedule of overlapping faults (kill -9, SIGSTOP, partitions,
 * clock skew, damaged WAL tails, full disks; never more than f at once except
 * in a quorum-loss partition), continuous safety checks, then liveness after
 * the last fault heals, nothing acknowledged lost, no double signing, and
 * bounded memory. Returns the timeline and a JSON-able summary; `violations`
 * empty means the run passed.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../../consensus/sim/prng.js';
import { findLost, SafetyCheck } from './checks.js';
import { tmpfsUnavailable } from './disk.js';
import { applyFault } from './faults.js';
import { bringBack, type Heads, headsByName, livenessTarget, remember, shortOf } from './liveness.js';
import { Load } from './load.js';
import { ChaosNet } from './net.js';
import { netnsUnavailable } from './netns.js';
import { rpcCall } from './rpc.js';
import { type Fault, type FaultKind, makeSchedule, maxFaulty, NETNS_KINDS, peakFaulty } from './schedule.js';
import { VaultOpens } from './vault-load.js';

export interface ChaosOptions {
  validators: number;
  minutes: number;
  seed: number;
  /** Submitted txs per second. */
  rate: number;
  faults: FaultKind[];
  /** After the last fault heals, every node must pass the network's head within this. */
  livenessMs: number;
  maxRssMb: number;
  heartbeatMs: number;
  /** The devnet must reach height 2 within this (a loaded machine starts slowly). */
  startMs: number;
  /** Size of each validator's tmpfs when the disk fault is on (MiB). */
  diskMb: number;
  log: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  validators: number;
  seconds: number;
  rate: number;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  /** Scheduled faults not injected because earlier victims were still recovering at the last start time. */
  skipped_faults: number;
  peak_faulty: number;
  max_faulty: number;
  /** Quorum-loss partitions injected (f + 1 validators cut off at once). */
  quorum_losses: number;
  /** Conflicting votes any node reported (equivocation evidence): must be 0. */
  double_signs: number;
  /** null where the node did not answer. */
  full_node_height: number | null;
  /** Vault opens through the full node: disclosures made (each must have a granted final ACCESS) and failures. */
  vault: { disclosures: number; failed: number };
  longest_stall_ms: number;
  round_changes: number;
  recovery_ms: Record<string, { count: number; median: number; max: number }>;
  liveness_ms: number | null;
  /** The highest head any node reported at the end; each node's head (null: did not answer). */
  height: number | null;
  heights: Record<string, number | null>;
  heights_compared: number;
  txs: { submitted: number; refused: number; unconfirmed: number; acknowledged: number; found_on_every_node: number };
  rss_peak_mb: number[];
  crashes: number;
  violations: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Node i's head; undefined if it is not meant to be up or did not answer within 5 s (a busy machine answers slowly). */
async function head(net: ChaosNet, i: number): Promise<number | undefined> {
  const n = net.nodes[i];
  if (n === undefined || n.state !== 'up') return undefined;
  try {
    return (await rpcCall<{ headHeight: number }>(n.rpc, 'chain_getStatus', [], 5_000)).headHeight;
  } catch {
    return undefined;
  }
}

async function heads(net: ChaosNet): Promise<(number | undefined)[]> {
  return Promise.all(net.nodes.map((_, i) => head(net, i)));
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The middle value; the mean of the two middle ones for an even count. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export async function runChaos(o: ChaosOptions): Promise<{ summary: ChaosSummary; timeline: string[] }> {
  const durationMs = Math.round(o.minutes * 60_000);
  const schedule = makeSchedule({
    seed: o.seed,
    validators: o.validators,
    durationMs,
    kinds: o.faults,
    warmupMs: 5_000,
    quietMs: Math.max(10_000, durationMs * 0.2),
    minFaultMs: 2_000,
    maxFaultMs: 8_000,
    minGapMs: 3_000,
    maxGapMs: 9_000,
  });
  const timeline: string[] = [];
  const violations: string[] = [];
  // A fault this machine cannot inject is refused, never skipped silently.
  const wantsNetns = o.faults.some((k) => NETNS_KINDS.includes(k));
  if (wantsNetns) {
    const why = netnsUnavailable();
    if (why !== null)
      throw new Error(
        `refusing the partition faults: network namespaces are unavailable here (${why}); drop them from --faults`,
      );
  }
  if (o.faults.includes('disk')) {
    const why = tmpfsUnavailable();
    if (why !== null)
      throw new Error(`refusing the disk fault: tmpfs mounts are unavailable here (${why}); drop it from --faults`);
  }
  const net = await ChaosNet.create({
    validators: o.validators,
    heartbeatMs: o.heartbeatMs,
    netns: wantsNetns,
    tmpfsMb: o.faults.includes('disk') ? o.diskMb : 0,
  });
  let t0 = Date.now();
  const note = (line: string): void => {
    const s = `+${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s ${line}`;
    timeline.push(s);
    o.log(s);
  };
  const recoveries: Record<string, number[]> = {};
  const rssPeak = net.nodes.map(() => 0);
  const closers: Array<() => Promise<void>> = [];
  try {
    for (let i = 0; i < net.nodes.length; i++) net.start(i);
    const ready = Date.now() + o.startMs;
    while ((await heads(net)).some((h) => h === undefined || h < 2)) {
      if (Date.now() > ready)
        throw new Error(`devnet did not start:\n${net.nodes.map((n) => n.tail.join('\n')).join('\n')}`);
      await sleep(500);
    }
    t0 = Date.now();
    note(
      `devnet up: ${o.validators} validators (f = ${maxFaulty(o.validators)}) and a full node${wantsNetns ? ', each in its own network namespace' : ''}, ${schedule.length} faults scheduled`,
    );
    const safety = new SafetyCheck(net);
    const vault = await VaultOpens.setUp(net, (net.nodes[net.nodes.length - 1] as { rpc: string }).rpc);
    closers.push(() => vault.close());
    note('vault up on the full node: a record stored, a practitioner consented');
    const load = new Load(net, new Rng(o.seed ^ 0x10ad), o.rate);
    load.start();
    vault.start(Math.max(200, Math.round(4000 / Math.max(o.rate, 0.25))));

    // Faulty or not yet caught up: a node stays counted against f until it has recovered.
    const unhealthy = new Set<number>();
    let skipped = 0;
    let quorumLosses = 0;
    const injected: Record<string, number> = Object.fromEntries(o.faults.map((k) => [k, 0]));
    const ctx = { net, rng: new Rng(o.seed ^ 0xfa17), note, diskStopMs: 60_000 };
    /** Waits until every victim passes `target` (and, after a quorum loss, the chain moves past it). */
    const recover = async (f: Fault, target: number): Promise<void> => {
      const since = Date.now();
      while (Date.now() - since < o.livenessMs) {
        const hs = await Promise.all(f.nodes.map((i) => head(net, i)));
        if (hs.every((h) => h !== undefined && h >= target)) {
          const ms = Date.now() - since;
          recoveries[f.kind] = [...(recoveries[f.kind] ?? []), ms];
          note(
            `${f.nodes.map((i) => `node${i}`).join('+')} at height ${target} ${(ms / 1000).toFixed(1)}s after ${f.kind} healed`,
          );
          return;
        }
        await sleep(250);
      }
      violations.push(
        `liveness: ${f.nodes.map((i) => `node${i}`).join('+')} not at height ${target} within ${o.livenessMs} ms after ${f.kind} healed (seed ${o.seed})`,
      );
    };
    const lastStart = durationMs - Math.max(10_000, durationMs * 0.2);
    const faultRuns = schedule.map(async (f) => {
      await sleep(f.at - (Date.now() - t0));
      // Shifted, never dropped silently: wait while f nodes (or these) are still faulty or recovering;
      // a quorum loss waits for every earlier fault to recover.
      const busy = (): boolean =>
        f.kind === 'quorum'
          ? unhealthy.size > 0
          : unhealthy.size >= maxFaulty(o.validators) || f.nodes.some((i) => unhealthy.has(i));
      while (busy()) {
        if (Date.now() - t0 + f.ms > lastStart) {
          skipped++;
          note(`skipped ${f.kind} of ${f.nodes.map((i) => `node${i}`).join('+')}: earlier faults still recovering`);
          return;
        }
        await sleep(250);
      }
      for (const i of f.nodes) unhealthy.add(i);
      injected[f.kind] = (injected[f.kind] ?? 0) + 1;
      if (f.kind === 'quorum') quorumLosses++;
      try {
        violations.push(...(await applyFault(ctx, f)).map((v) => `${v} (seed ${o.seed})`));
      } catch (err) {
        // The harness could not inject or lift it: reported with the seed, never an unhandled rejection.
        violations.push(`harness: ${f.kind} of ${f.nodes.join('+')} failed: ${String(err)} (seed ${o.seed})`);
      }
      // Caught up = at the head the others had when it healed; after a quorum loss, one block beyond it.
      // A node that does not answer (busy machine) is no evidence: wait for at least one that does.
      let top: number | undefined;
      for (const until = Date.now() + o.livenessMs; top === undefined && Date.now() < until; ) {
        const known = (await heads(net)).filter((h, i): h is number => h !== undefined && !f.nodes.includes(i));
        if (known.length > 0) top = Math.max(...known);
        else await sleep(250);
      }
      if (top === undefined) violations.push(`liveness: no node answered after ${f.kind} healed (seed ${o.seed})`);
      else await recover(f, f.kind === 'quorum' ? top + 1 : top);
      for (const i of f.nodes) unhealthy.delete(i);
    });

    // Safety as heights appear, and memory, until the run's end.
    while (Date.now() - t0 < durationMs) {
      await safety.checkAll();
      net.nodes.forEach((n, i) => {
        if (n.state === 'up') rssPeak[i] = Math.max(rssPeak[i] as number, rssMb(n.proc?.pid));
      });
      await sleep(2_000);
    }
    await Promise.all(faultRuns);
    await load.stop();
    await vault.stop();
    note(
      `load stopped: ${load.submitted} submitted, ${load.acked.length} acknowledged final, ${vault.disclosed.length} vault disclosures`,
    );

    // Liveness: after the last fault, every node (brought back if it is still down) passes the head
    // the network had then. Heights come only from nodes that answer; a silent node is a failure.
    for (const line of await bringBack(net)) note(line);
    const names = net.nodes.map((n) => n.name);
    let last: Heads = [];
    let target: number | undefined;
    let liveness: number | null = null;
    let short: string[] = [];
    const since = Date.now();
    while (Date.now() - since < o.livenessMs) {
      const hs = await heads(net);
      last = remember(last, hs);
      target ??= livenessTarget(hs);
      if (target !== undefined) {
        short = shortOf(names, hs, target, last);
        if (short.length === 0) {
          liveness = Date.now() - since;
          break;
        }
      }
      await sleep(250);
    }
    if (target === undefined) violations.push(`liveness: no node answered at the end (seed ${o.seed})`);
    else if (liveness === null)
      violations.push(
        `liveness: not every node reached height ${target} within ${o.livenessMs} ms: ${short.join('; ')} (seed ${o.seed})`,
      );
    else note(`every node at height >= ${target} within ${(liveness / 1000).toFixed(1)}s`);

    await safety.checkAll();
    violations.push(...safety.violations.map((v) => `${v} (seed ${o.seed})`));
    const { found, lost } = await findLost(net, load.acked);
    violations.push(...lost.slice(0, 20).map((v) => `${v} (seed ${o.seed})`));
    if (lost.length > 20) violations.push(`lost: ${lost.length - 20} more like these (seed ${o.seed})`);
    violations.push(...(await vault.check(net)).slice(0, 20).map((v) => `${v} (seed ${o.seed})`));
    const crashes = net.nodes.reduce((s, n) => s + n.crashes, 0);
    const doubleSigns = net.nodes.reduce((s, n) => s + n.evidence, 0);
    if (doubleSigns > 0)
      violations.push(`double signing: ${doubleSigns} equivocation reports in node logs (seed ${o.seed})`);
    if (crashes > 0) violations.push(`crash: ${crashes} node exits the harness did not cause (seed ${o.seed})`);
    rssPeak.forEach((mb, i) => {
      if (mb > o.maxRssMb) violations.push(`memory: node${i} peaked at ${mb.toFixed(0)} MB > ${o.maxRssMb} MB`);
    });

    // Stalls: the longest gap between the first commits of consecutive heights, on any node, and the
    // gap still open at the end (a chain stuck since its last block has a stall, not none).
    const first = new Map<number, number>();
    let rounds = 0;
    for (const n of net.nodes)
      for (const c of n.commits) {
        if (c.at < t0) continue;
        first.set(c.height, Math.min(first.get(c.height) ?? Number.POSITIVE_INFINITY, c.at));
        if (c.round > 0) rounds++;
      }
    const times = [...first.entries()].sort((a, b) => a[0] - b[0]).map(([, at]) => at);
    let stall = 0;
    for (let k = 1; k < times.length; k++) stall = Math.max(stall, (times[k] as number) - (times[k - 1] as number));
    stall = Math.max(stall, Date.now() - (times[times.length - 1] ?? t0));

    const finalHeads = await heads(net);
    const summary: ChaosSummary = {
      seed: o.seed,
      validators: o.validators,
      seconds: Math.round((Date.now() - t0) / 1000),
      rate: o.rate,
      faults: injected,
      skipped_faults: skipped,
      peak_faulty: peakFaulty(schedule),
      max_faulty: maxFaulty(o.validators),
      quorum_losses: quorumLosses,
      double_signs: doubleSigns,
      full_node_height: finalHeads[net.nodes.length - 1] ?? null,
      vault: { disclosures: vault.disclosed.length, failed: vault.failed },
      longest_stall_ms: Math.round(stall),
      round_changes: rounds,
      recovery_ms: Object.fromEntries(
        Object.entries(recoveries).map(([k, v]) => [
          k,
          { count: v.length, median: Math.round(median(v)), max: Math.max(...v) },
        ]),
      ),
      liveness_ms: liveness,
      height: livenessTarget(finalHeads, 0) ?? null,
      heights: headsByName(names, finalHeads),
      heights_compared: safety.heights,
      txs: {
        submitted: load.submitted,
        refused: load.refused,
        unconfirmed: load.unconfirmed,
        acknowledged: load.acked.length,
        found_on_every_node: found,
      },
      rss_peak_mb: rssPeak.map((x) => Math.round(x)),
      crashes,
      violations,
    };
    return { summary, timeline };
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    await net.close(violations.length > 0 && process.env.CHAOS_KEEP === '1');
  }
}
