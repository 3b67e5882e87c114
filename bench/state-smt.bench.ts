import { readFileSync, rmSync } from 'node:fs';
import { sha256 } from '../src/crypto/hash.js';
import { EMPTY_ROOT } from '../state/smt/node.js';
import { type SmtProof, verifyStateProof } from '../state/smt/proof.js';
import { type StateChange, StateStore } from '../state/state-store.js';
import { type BatchOp, type Db, openDb, writeBatch } from '../state/store/db.js';
import type { NodeCacheStats } from '../state/store/node-cache.js';
import { Prng, tempDir } from './fixtures.js';
import { round, rssMb } from './measure.js';
import type { BenchContext, Benchmark } from './types.js';

const KEYS = 1_000_000;
const BLOCK = 10_000;

/** Keys in one flat buffer: a million small Uint8Arrays would make the bench's own GC the bottleneck. */
class KeyList {
  private buf: Uint8Array;
  length = 0;
  constructor(
    private readonly width: number,
    capacity: number,
  ) {
    this.buf = new Uint8Array(width * capacity);
  }
  push(k: Uint8Array): void {
    if ((this.length + 1) * this.width > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf.set(k, this.length * this.width);
    this.length++;
  }
  at(i: number): Uint8Array {
    return this.buf.subarray(i * this.width, (i + 1) * this.width);
  }
}

interface Fixture {
  db: Db;
  store: StateStore;
  keys: KeyList;
  prng: Prng;
  /** Keys loaded before any benchmark ran (--keys): the size a result is saved under. */
  loaded: number;
}

let fixture: Promise<Fixture> | undefined;

/** Stages, writes and advances one block of changes; returns the sizes of the tree nodes it rewrote. */
async function commit(db: Db, store: StateStore, changes: StateChange[]): Promise<number[]> {
  const staged = store.stage(changes);
  const ops: BatchOp[] = [];
  store.writeOps(staged, ops);
  await writeBatch(db, ops, false);
  store.advance(staged);
  return staged.smt.writes.map(([, bytes]) => bytes.length);
}

/**
 * Raw sha256 rate of an update's hashing, for the limit: the key and the value of every change and
 * every rewritten node's bytes (each node is stored under the hash of its bytes), at their sizes.
 */
function hashLimit(changes: StateChange[][], nodeSizes: number[][], updates: number): number {
  const inputs: Uint8Array[] = [];
  for (const block of changes) for (const c of block) inputs.push(c.key, c.value ?? new Uint8Array(0));
  for (const sizes of nodeSizes) for (const n of sizes) inputs.push(new Uint8Array(n));
  const t0 = performance.now();
  for (const x of inputs) sha256(x);
  return (updates * 1000) / (performance.now() - t0);
}

/** 1,000,000 keys of ~40 bytes with ~100-byte values, loaded in blocks of 100,000. */
function load(log: BenchContext['log'], size: number): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = await tempDir('smt');
    const db = await openDb(dir);
    const store = new StateStore(db, EMPTY_ROOT);
    const prng = new Prng(42);
    const keys = new KeyList(40, size + 200_000);
    const t0 = performance.now();
    for (let i = 0; i < size; i += 100_000) {
      const changes: StateChange[] = [];
      for (let j = i; j < Math.min(size, i + 100_000); j++) {
        const key = prng.bytes(40);
        keys.push(key);
        changes.push({ key, value: prng.bytes(100) });
      }
      await commit(db, store, changes);
    }
    log(`loaded ${size.toLocaleString('en-US')} keys in ${Math.round(performance.now() - t0)} ms`);
    // LevelDB may still be compacting at exit: retry, and never fail the run over a temp dir.
    process.once('exit', () => {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      } catch {}
    });
    return { db, store, keys, prng, loaded: size };
  })();
  return fixture;
}

const keysFlag = (ctx: BenchContext): number => Number(ctx.flags.keys ?? KEYS);

/**
 * CPU µs of the main thread alone (Linux: /proc, 10 ms ticks), apart from LevelDB's compaction
 * threads, which process.cpuUsage also counts; undefined where /proc is missing.
 */
function mainThreadCpuUs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000; // utime + stime, in USER_HZ (100/s)
  } catch {
    return undefined;
  }
}

const perOp = (a: number | undefined, b: number | undefined, n: number): number | undefined =>
  a === undefined || b === undefined ? undefined : round((b - a) / n, 1);

/** Mean inner nodes on a key's path (proof steps) over 1,000 keys: the tree's depth. */
function meanDepth(f: Fixture): number {
  let steps = 0;
  for (let i = 0; i < 1000; i++) steps += f.store.prove(f.keys.at(f.prng.below(f.keys.length))).steps.length;
  return round(steps / 1000, 2);
}

/** The node cache's hit rate between two readings of its counters. */
function hitRate(a: NodeCacheStats, b: NodeCacheStats): number {
  const hits = b.hits - a.hits;
  const all = hits + b.misses - a.misses;
  return all === 0 ? 1 : round(hits / all, 4);
}

export const benchmarks: Benchmark[] = [
  {
    id: 'state.smt.update',
    async run(ctx) {
      const f = await load(ctx.log, keysFlag(ctx));
      const blocks = 20;
      let updates = 0;
      const s0 = f.store.nodeCacheStats();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const m0 = mainThreadCpuUs();
      const blocksChanges: StateChange[][] = [];
      const nodeSizes: number[][] = [];
      for (let b = 0; b < blocks; b++) {
        // 90 % updates of existing keys, 10 % new keys, as a block of record/consent writes would be.
        const changes: StateChange[] = [];
        for (let i = 0; i < BLOCK; i++) {
          if (i % 10 === 9) {
            const key = f.prng.bytes(40);
            f.keys.push(key);
            changes.push({ key, value: f.prng.bytes(100) });
          } else changes.push({ key: f.keys.at(f.prng.below(f.keys.length)), value: f.prng.bytes(100) });
        }
        nodeSizes.push(await commit(f.db, f.store, changes));
        blocksChanges.push(changes);
        updates += BLOCK;
      }
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const m1 = mainThreadCpuUs();
      const s1 = f.store.nodeCacheStats();
      // The limit: an update can be no faster than its hashing done raw (measured after the timing).
      const limit = hashLimit(blocksChanges, nodeSizes, updates);
      return {
        id: 'state.smt.update',
        ops_per_s: round(updates / s),
        limit_ops_per_s: round(limit),
        ratio: round(updates / s / limit, 3),
        nodes_rewritten_per_update: round(nodeSizes.flat().length / updates, 2),
        // Process CPU (LevelDB's threads included): what load distorts least.
        cpu_us_per_update: round((cpu.user + cpu.system) / updates, 1),
        main_thread_cpu_us_per_update: perOp(m0, m1, updates),
        keys: f.keys.length,
        loaded_keys: f.loaded,
        block: BLOCK,
        rss_mb: rssMb(),
        depth: meanDepth(f),
        node_cache_hit_rate: hitRate(s0, s1),
        node_cache_mb: round(s1.bytes / 2 ** 20, 1),
      };
    },
  },
  {
    id: 'state.smt.prove',
    async run(ctx) {
      const f = await load(ctx.log, keysFlag(ctx));
      const n = 100_000;
      const s0 = f.store.nodeCacheStats();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const m0 = mainThreadCpuUs();
      for (let i = 0; i < n; i++) f.store.prove(f.keys.at(f.prng.below(f.keys.length)));
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      return {
        id: 'state.smt.prove',
        ops_per_s: round(n / s),
        cpu_us_per_proof: round((cpu.user + cpu.system) / n, 1),
        main_thread_cpu_us_per_proof: perOp(m0, mainThreadCpuUs(), n),
        keys: f.keys.length,
        loaded_keys: f.loaded,
        node_cache_hit_rate: hitRate(s0, f.store.nodeCacheStats()),
      };
    },
  },
  {
    id: 'state.smt.verify',
    async run(ctx) {
      const f = await load(ctx.log, keysFlag(ctx));
      const cases = [];
      for (let i = 0; i < 20_000; i++) {
        const key = f.keys.at(f.prng.below(f.keys.length));
        cases.push({ key, value: f.store.get(key) as Uint8Array, proof: f.store.prove(key) });
      }
      const root = f.store.root;
      let ok = 0;
      const reps = 5;
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) for (const c of cases) if (verifyStateProof(root, c.key, c.value, c.proof)) ok++;
      const s = (performance.now() - t0) / 1000;
      if (ok !== cases.length * reps) throw new Error('a valid proof failed to verify');
      // The limit: the sha256 calls the same proofs need (key, value, one preimage per step, at
      // their sizes), done raw on this thread: verification can be no faster than its hashing.
      const inputs = cases.flatMap((c) => [c.key, c.value, ...c.proof.steps.map((_, i) => preimageOf(c.proof, i))]);
      const h0 = performance.now();
      for (let r = 0; r < reps; r++) for (const x of inputs) sha256(x);
      const limit = (cases.length * reps * 1000) / (performance.now() - h0);
      const ops = (cases.length * reps) / s;
      return {
        id: 'state.smt.verify',
        ops_per_s: round(ops),
        limit_ops_per_s: round(limit),
        ratio: round(ops / limit, 3),
        hashes_per_proof: round(inputs.length / cases.length, 2),
        keys: f.keys.length,
        loaded_keys: f.loaded,
      };
    },
  },
];

/**
 * A buffer the size of the preimage step `i` of a proof hashes: its siblings and the entry on the path
 * (the leaf's 64 bytes at the deepest step, a child's 32-byte hash above it). Contents do not change
 * sha256's cost.
 */
function preimageOf(proof: SmtProof, i: number): Uint8Array {
  const step = proof.steps[i] as SmtProof['steps'][number];
  const entry = i < proof.steps.length - 1 ? 32 : proof.leaf === null ? 0 : 64;
  return new Uint8Array(5 + step.siblings.length + entry);
}
