import { verify as nodeVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { publicKeyOf, randomSecretKey, signFast, verify, verifyNoble } from '../src/crypto/ed25519.js';
import { sha256 } from '../src/crypto/hash.js';
import { nodePublicKey } from '../src/crypto/platform/node-keys.js';
import { VerifierPool, type VerifyItem } from '../src/crypto/pool/index.js';
import { opsPerSecond, opsPerSecondSync, round } from './measure.js';
import type { BenchContext, Benchmark } from './types.js';

/**
 * The physical limit is raw OpenSSL Ed25519 verification on one thread with
 * cached KeyObjects, measured in the same run; pool and noble figures are
 * reported as ratios to it. Flags: --ms <per measurement>, --batch <pool
 * batch>, --inflight <concurrent verifyMany calls>, --workers <n>.
 */
const KEYS = 256;
const MSG_BYTES = 200; // about a signed transaction

let fixture: VerifyItem[] | undefined;
function items(): VerifyItem[] {
  if (fixture === undefined) {
    fixture = [];
    for (let k = 0; k < KEYS; k++) {
      const sk = randomSecretKey();
      const pk = publicKeyOf(sk);
      for (let j = 0; j < 8; j++) {
        const msg = new Uint8Array(MSG_BYTES);
        crypto.getRandomValues(msg);
        fixture.push({ msg, sig: signFast(msg, sk), pk });
      }
    }
  }
  return fixture;
}

const flagNum = (ctx: BenchContext, name: string, dflt: number): number => {
  const v = ctx.flags[name];
  return typeof v === 'string' ? Number(v) : dflt;
};

let limit: number | undefined;
/** Raw node:crypto verifies/s on this thread; measured once per process, shared by the ratios. */
function singleThreadLimit(ctx: BenchContext): number {
  if (limit === undefined) {
    const all = items();
    const keyed = all.map((it) => ({ ...it, key: nodePublicKey(it.pk)! }));
    let i = 0;
    limit = opsPerSecondSync(
      () => {
        const it = keyed[i++ & (keyed.length - 1)]!;
        if (!nodeVerify(null, it.msg, it.key, it.sig)) throw new Error('fixture signature rejected');
      },
      1,
      flagNum(ctx, 'ms', 2000),
    );
  }
  return limit;
}

export const benchmarks: Benchmark[] = [
  {
    id: 'crypto.verify.limit',
    async run(ctx) {
      const raw = singleThreadLimit(ctx);
      const all = items();
      let i = 0;
      // Our verify on the same thread: byte checks + key cache lookup over raw OpenSSL.
      const ours = opsPerSecondSync(
        () => {
          const it = all[i++ & (all.length - 1)]!;
          if (!verify(it.sig, it.msg, it.pk)) throw new Error('rejected');
        },
        1,
        flagNum(ctx, 'ms', 2000),
      );
      return { id: 'crypto.verify.limit', ops_per_s: round(raw), verify_ops_per_s: round(ours) };
    },
  },
  {
    id: 'crypto.verify.pool',
    async run(ctx) {
      const raw = singleThreadLimit(ctx);
      const batch = flagNum(ctx, 'batch', 1000);
      const inflight = flagNum(ctx, 'inflight', 2);
      const workersFlag = ctx.flags.workers;
      const pool = new VerifierPool(typeof workersFlag === 'string' ? { workers: Number(workersFlag) } : {});
      try {
        const all = items();
        const batches: VerifyItem[][] = [];
        for (let o = 0; o + batch <= all.length || batches.length === 0; o += batch)
          batches.push(all.slice(o, Math.min(all.length, o + batch)));
        let b = 0;
        const once = async (): Promise<void> => {
          const rs = await pool.verifyMany(batches[b++ % batches.length]!);
          if (!rs.every(Boolean)) throw new Error('rejected');
        };
        await once(); // warm workers (module load, key caches)
        const ms = flagNum(ctx, 'ms', 2000) * 1.5;
        // `inflight` calls in flight, as a node verifying gossip and RPC input at once would have.
        const elu0 = performance.eventLoopUtilization();
        const ops = await opsPerSecond(() => Promise.all(Array.from({ length: inflight }, once)), batch * inflight, ms);
        // Share of the main thread spent packing jobs and resolving results.
        const mainElu = performance.eventLoopUtilization(elu0).utilization;
        const limitOps = pool.workers * raw;
        ctx.log(`workers=${pool.workers} batch=${batch} inflight=${inflight} single=${round(raw)}/s`);
        return {
          id: 'crypto.verify.pool',
          ops_per_s: round(ops),
          limit_ops_per_s: round(limitOps),
          ratio: round(ops / limitOps, 2),
          workers: pool.workers,
          batch,
          main_thread_elu: round(mainElu, 3),
        };
      } finally {
        await pool.close();
      }
    },
  },
  {
    id: 'crypto.verify.noble',
    async run(ctx) {
      const raw = singleThreadLimit(ctx);
      const all = items();
      let i = 0;
      const ops = opsPerSecondSync(
        () => {
          const it = all[i++ & (all.length - 1)]!;
          if (!verifyNoble(it.sig, it.msg, it.pk)) throw new Error('rejected');
        },
        1,
        flagNum(ctx, 'ms', 2000),
      );
      return {
        id: 'crypto.verify.noble',
        ops_per_s: round(ops),
        limit_ops_per_s: round(raw),
        ratio: round(ops / raw, 3),
      };
    },
  },
  {
    id: 'crypto.sha256.64',
    async run(ctx) {
      const inputs = Array.from({ length: 256 }, () => crypto.getRandomValues(new Uint8Array(64)));
      let i = 0;
      const ops = opsPerSecondSync(
        () => {
          for (let j = 0; j < 100; j++) sha256(inputs[i++ & 255]!);
        },
        100,
        flagNum(ctx, 'ms', 1000),
      );
      return { id: 'crypto.sha256.64', ops_per_s: round(ops) };
    },
  },
];
