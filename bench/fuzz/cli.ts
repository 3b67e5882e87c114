/**
 * npm run fuzz -- [--target NAME[,NAME...]] [--inputs N] [--seed S] [--from I] [--only I] [--max-seconds S]
 *                 [--max-input-ms MS] [--hang-ms MS] [--list]
 *
 * Input i is a pure function of (seed, i), so a long campaign splits exactly into
 * ranges: `--from 500000 --inputs 500000` runs inputs 500000..999999. `--max-seconds`
 * stops a target early; its JSON line says where (`next`), to resume with `--from`.
 *
 * Each target runs in a worker thread; the main thread watches the index of the
 * input being run and, if it stops moving for --hang-ms (wall time, default 60 s), terminates the worker
 * and reports that input as a hang (replay it with --only). One JSON line per
 * target on stdout; exit 1 on any failure.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type CampaignOptions, type CampaignResult, runCampaign } from './engine.js';
import { allTargets, targetNames } from './registry.js';

interface Args {
  targets: string[];
  inputs: number;
  seed: number;
  only?: number;
  from: number;
  maxSeconds?: number;
  maxInputMs: number;
  hangMs: number;
}

function parseArgs(argv: string[]): Args | 'list' {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--list') return 'list';
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    flags.set(a.slice(2), argv[++i] ?? '');
  }
  const num = (k: string, d: number): number => {
    const v = flags.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${k} wants a non-negative integer`);
    return n;
  };
  const t = flags.get('target');
  const targets = t === undefined || t === 'all' ? targetNames() : t.split(',');
  for (const name of targets) if (!targetNames().includes(name)) throw new Error(`unknown target ${name}`);
  const only = flags.has('only') ? num('only', 0) : undefined;
  const maxSeconds = flags.has('max-seconds') ? num('max-seconds', 0) : undefined;
  return {
    targets,
    inputs: num('inputs', 10_000),
    seed: num('seed', 1),
    from: num('from', 0),
    ...(only !== undefined && { only }),
    ...(maxSeconds !== undefined && { maxSeconds }),
    maxInputMs: num('max-input-ms', 250),
    hangMs: num('hang-ms', 60_000),
  };
}

interface WorkerJob {
  target: string;
  opts: Omit<CampaignOptions, 'progress'>;
  progress: SharedArrayBuffer;
}

async function workerMain(job: WorkerJob): Promise<void> {
  const t = allTargets().find((x) => x.name === job.target);
  if (t === undefined) throw new Error(`unknown target ${job.target}`);
  const res = await runCampaign(t, { ...job.opts, progress: new Int32Array(job.progress) });
  await t.close?.();
  parentPort?.postMessage(res);
}

function runInWorker(target: string, args: Args): Promise<CampaignResult> {
  const progress = new SharedArrayBuffer(4);
  const cell = new Int32Array(progress);
  // -1 until the campaign starts: loading modules and seeds is not a hang.
  Atomics.store(cell, 0, -1);
  const opts: WorkerJob['opts'] = {
    inputs: args.inputs,
    seed: args.seed,
    maxInputMs: args.maxInputMs,
    from: args.from,
    ...(args.only !== undefined && { only: args.only }),
    ...(args.maxSeconds !== undefined && { maxSeconds: args.maxSeconds }),
  };
  const w = new Worker(fileURLToPath(import.meta.url), { workerData: { target, opts, progress } satisfies WorkerJob });
  return new Promise((resolve, reject) => {
    let last = -1;
    let still = 0;
    const watch = setInterval(() => {
      const i = Atomics.load(cell, 0);
      still = i === last && i >= 0 ? still + 500 : 0;
      last = i;
      if (still < args.hangMs) return;
      clearInterval(watch);
      void w.terminate();
      resolve({
        target,
        seed: args.seed,
        from: args.from,
        next: i,
        inputs: i - args.from,
        accepted: 0,
        rejected: 0,
        seconds: 0,
        inputs_per_s: 0,
        codes: {},
        failures: [{ target, index: i, kind: 'slow', detail: `hang: no progress for ${args.hangMs} ms`, input: '' }],
      });
    }, 500);
    w.once('message', (r: CampaignResult) => {
      clearInterval(watch);
      resolve(r);
    });
    w.once('error', (err) => {
      clearInterval(watch);
      reject(err);
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args === 'list') {
    for (const n of targetNames()) console.log(n);
    return;
  }
  let failed = false;
  for (const target of args.targets) {
    const r = await runInWorker(target, args);
    console.log(JSON.stringify(r));
    if (r.failures.length > 0) {
      failed = true;
      for (const f of r.failures.slice(0, 5))
        console.error(
          `FAIL ${f.target} #${f.index} ${f.kind}: ${f.detail}\n  replay: npm run fuzz -- --target ${f.target} --seed ${args.seed} --only ${f.index}\n  input: ${f.input.slice(0, 400)}`,
        );
    } else
      console.error(
        `ok ${r.target}: ${r.inputs} inputs (#${r.from}..#${r.next - 1}), ${r.accepted} accepted, ${r.inputs_per_s} inputs/s`,
      );
  }
  if (failed) process.exitCode = 1;
}

if (isMainThread)
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  });
else
  workerMain(workerData as WorkerJob).catch((err: unknown) => {
    console.error(err);
    process.exit(2);
  });
