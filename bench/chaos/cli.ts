/**
 * npm run chaos -- [--validators 4] [--minutes 1] [--seed 1] [--rate 10]
 *                  [--faults kill,pause,partition,skew,wal,disk,quorum] [--liveness-s 60]
 *                  [--max-rss-mb 1024] [--heartbeat-ms 500] [--start-s 180] [--disk-mb 256]
 *
 * partition and quorum need network namespaces, disk needs tmpfs mounts (root, Linux): where
 * they are unavailable the run refuses them (exit 2) rather than leaving them out.
 *
 * CHAOS_LOG_DIR=dir keeps each node's whole output in dir/<node>.log; CHAOS_KEEP=1 keeps the
 * nodes' data after a failed run.
 *
 * Prints the timeline on stderr and the JSON summary on stdout; exits 1 on any
 * violation, naming the seed that replays the schedule.
 */
import '../../src/polyfill.js';
import { summaryLines } from './report.js';
import { runChaos } from './run.js';
import { FAULT_KINDS, type FaultKind } from './schedule.js';

function flags(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    m.set(a.slice(2), argv[++i] ?? '');
  }
  return m;
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const num = (k: string, d: number): number => {
    const v = f.get(k);
    const n = v === undefined ? d : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} wants a non-negative number`);
    return n;
  };
  const faults = (f.get('faults') ?? FAULT_KINDS.join(',')).split(',').filter((x) => x !== '' && x !== 'none');
  for (const k of faults)
    if (!(FAULT_KINDS as readonly string[]).includes(k))
      throw new Error(`unknown fault ${k} (this harness has: ${FAULT_KINDS.join(', ')})`);
  const { summary, timeline } = await runChaos({
    validators: num('validators', 4),
    minutes: num('minutes', 1),
    seed: num('seed', 1),
    rate: num('rate', 10),
    faults: faults as FaultKind[],
    livenessMs: num('liveness-s', 60) * 1000,
    maxRssMb: num('max-rss-mb', 1024),
    heartbeatMs: num('heartbeat-ms', 500),
    startMs: num('start-s', 180) * 1000,
    diskMb: num('disk-mb', 256),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`\n${summaryLines(summary).join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (summary.violations.length > 0) {
    process.stderr.write(`\nVIOLATIONS (replay with --seed ${summary.seed}):\n${summary.violations.join('\n')}\n`);
    process.stderr.write(`timeline:\n${timeline.join('\n')}\n`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
});
