/**
 * The campaign loop. Input i of a campaign is a pure function of (seed, i),
 * so any failure replays alone with `--seed S --only i`. Properties checked
 * per input: no crash (only coded errors escape), the canonical round trip
 * for everything accepted, and a CPU-time bound (an input over it is re-run
 * once, so a GC pause is not reported).
 */
import { Rng } from '../../consensus/sim/prng.js';
import { toHex } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import { JSON_MUTATORS } from './json-mutate.js';
import { BYTE_MUTATORS, CBOR_MUTATORS, generate } from './mutate.js';
import { type Target, Violation } from './targets.js';

export interface CampaignOptions {
  inputs: number;
  seed: number;
  /** Per-input CPU-time bound, ms. */
  maxInputMs: number;
  /** Stop after this long even if fewer inputs ran (CI's short campaigns). */
  maxSeconds?: number;
  /** Run just this input index. */
  only?: number;
  /** First input index: runs inputs [from, from + inputs), so a campaign splits into ranges or resumes. */
  from?: number;
  /** Shared progress cell (the CLI's hang watchdog reads the current index). */
  progress?: Int32Array;
  /** Failures kept before stopping. */
  maxFailures?: number;
}

export type FailureKind = 'crash' | 'roundtrip' | 'violation' | 'slow';

export interface Failure {
  target: string;
  index: number;
  kind: FailureKind;
  detail: string;
  input: string;
}

export interface CampaignResult {
  target: string;
  seed: number;
  /** First input index run. */
  from: number;
  /** The index to resume from (`--from`): the first input not run. */
  next: number;
  inputs: number;
  accepted: number;
  rejected: number;
  seconds: number;
  inputs_per_s: number;
  /** Rejections by code: shows the campaign reaches past the first check. */
  codes: Record<string, number>;
  failures: Failure[];
}

/** Mixes the campaign seed and the input index into the seed of that input's generator. */
export const inputSeed = (seed: number, i: number): number => (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + i) >>> 0;

export function inputAt(seed: number, i: number, corpus: readonly Uint8Array[], t: Target): Uint8Array {
  const rng = new Rng(inputSeed(seed, i));
  const mutators = t.format === 'cbor' ? CBOR_MUTATORS : t.format === 'json' ? JSON_MUTATORS : BYTE_MUTATORS;
  return generate(rng, corpus, mutators, t.maxRandom);
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

type Outcome = { ok: true; accepted: boolean; code?: string } | { ok: false; kind: FailureKind; detail: string };

/** One input through the target, classified. */
export async function runOne(t: Target, x: Uint8Array): Promise<Outcome> {
  let out: Uint8Array | undefined;
  try {
    const r = t.run(x);
    out = r instanceof Promise ? await r : r;
  } catch (err) {
    if (err instanceof Violation) return { ok: false, kind: 'violation', detail: err.message };
    if (isCoded(err)) return { ok: true, accepted: false, code: err.code };
    const e = err as { name?: string; message?: string };
    return { ok: false, kind: 'crash', detail: `${e?.name ?? typeof err}: ${e?.message ?? String(err)}` };
  }
  if (out !== undefined && !equalBytes(out, x))
    return { ok: false, kind: 'roundtrip', detail: `re-encoded as ${toHex(out).slice(0, 200)}` };
  return { ok: true, accepted: true };
}

/**
 * CPU time, not wall time: on a machine shared with busy neighbours, a wall
 * clock mostly measures the scheduler. Waiting (a hang) is the watchdog's job.
 */
async function timed(t: Target, x: Uint8Array): Promise<{ o: Outcome; ms: number }> {
  const t0 = process.cpuUsage();
  const o = await runOne(t, x);
  const d = process.cpuUsage(t0);
  return { o, ms: (d.user + d.system) / 1000 };
}

export async function runCampaign(t: Target, opts: CampaignOptions): Promise<CampaignResult> {
  const corpus = await t.seeds();
  // The seeds themselves must pass: a broken seed would weaken the campaign silently.
  for (const s of corpus) {
    const o = await runOne(t, s);
    if (!o.ok || !o.accepted) throw new Error(`${t.name}: seed ${toHex(s).slice(0, 80)} is not accepted`);
  }
  const res: CampaignResult = {
    target: t.name,
    seed: opts.seed,
    from: opts.only ?? opts.from ?? 0,
    next: opts.only ?? opts.from ?? 0,
    inputs: 0,
    accepted: 0,
    rejected: 0,
    seconds: 0,
    inputs_per_s: 0,
    codes: {},
    failures: [],
  };
  const first = res.from;
  const end = opts.only !== undefined ? opts.only + 1 : first + opts.inputs;
  const deadline =
    opts.maxSeconds === undefined ? Number.POSITIVE_INFINITY : performance.now() + opts.maxSeconds * 1000;
  const maxFailures = opts.maxFailures ?? 20;
  const start = performance.now();
  for (let i = first; i < end; i++) {
    if (opts.progress !== undefined) Atomics.store(opts.progress, 0, i);
    const x = inputAt(opts.seed, i, corpus, t);
    let { o, ms } = await timed(t, x);
    if (ms > opts.maxInputMs) ({ o, ms } = await timed(t, x));
    const fail = (kind: FailureKind, detail: string): void => {
      res.failures.push({ target: t.name, index: i, kind, detail, input: toHex(x) });
    };
    if (!o.ok) fail(o.kind, o.detail);
    else if (ms > opts.maxInputMs) fail('slow', `${ms.toFixed(1)} ms > ${opts.maxInputMs} ms`);
    else if (o.accepted) res.accepted++;
    else {
      res.rejected++;
      const c = o.code ?? '?';
      res.codes[c] = (res.codes[c] ?? 0) + 1;
    }
    res.inputs++;
    res.next = i + 1;
    if (res.failures.length >= maxFailures) break;
    // Checking the clock every input would cost more than some targets.
    if ((i & 255) === 0 && performance.now() > deadline) break;
  }
  res.seconds = (performance.now() - start) / 1000;
  res.inputs_per_s = Math.round(res.inputs / Math.max(res.seconds, 1e-9));
  return res;
}
