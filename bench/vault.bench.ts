/**
 * vault.put and vault.get, in process against the real VaultService and its LevelDB, with a stub
 * chain that finalizes like one: submitted txs wait for the next block (every `--block-ms`,
 * default 200), where the chain's own coverage rule (state/domain/rules.ts) decides each ACCESS
 * at the block's time; so the figures are the vault's plus the wait for finality, not the node's RPC.
 *   vault.put.<size>: seal (fresh key, XChaCha20-Poly1305, commitment) + signed PUT (verify, store)
 *   vault.get.<size>: signed open (verify, replay check, key check, submit, wait for the final
 *                     receipt, judge it, store read) + client unwrap (X25519) + commitment + decrypt
 * Requests are signed before the timed loop (the requester's signing is the client's cost).
 * `--inflight N` (default 256 for get: every open waits about a block) clients run at once;
 * `--rate R` instead opens R per second (open loop) and reports open latency p50/p99.
 * Request signatures are verified on `--verify-workers` (default: the vault's default) workers.
 * Limit: raw XChaCha20-Poly1305 decrypt of the same size (src/crypto/aead.ts, OpenSSL), in the same run.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from '@noble/hashes/utils.js';
import { identityId } from '../src/chain/genesis.js';
import { decodeTx } from '../src/chain/tx.js';
import { accountFromSecret, generateAccount, TxFactory } from '../src/client/tx.js';
import { openRecord, sealRecord, unwrapKey, unwrapKeyOf, wrapKey } from '../src/client/vault/crypto.js';
import { encodeRequestHeader, encodeRequestPayload, type VaultOp } from '../src/client/vault/protocol.js';
import { xchachaOpen, xchachaSeal } from '../src/crypto/aead.js';
import { SignPurpose, signingMessage } from '../src/crypto/domain.js';
import { signFast } from '../src/crypto/ed25519.js';
import { VerifierPool } from '../src/crypto/pool/pool.js';
import { type AccessBody, decodeBody } from '../src/tx/bodies.js';
import { Action, PURPOSE_NAMES, Purpose, RESOURCE_TYPES } from '../src/tx/kinds.js';
import type { FinalReceipt, VaultChain } from '../src/vault/chain.js';
import { defaultVaultOptions, VAULT_VERIFY_BATCHING } from '../src/vault/options.js';
import { VaultService } from '../src/vault/service.js';
import { VaultStore } from '../src/vault/store.js';
import { coverage } from '../state/domain/rules.js';
import type { ConsentEntry } from '../state/domain/values.js';
import { round } from './measure.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

const CHAIN = 'bench-vault';
const TYPE = RESOURCE_TYPES.indexOf('Observation');
const MiB = 1024 * 1024;
const noise = (n: number): Uint8Array => new Uint8Array(randomFillSync(Buffer.alloc(n)));

interface Fixture {
  stop: () => void;
  service: VaultService;
  store: VaultStore;
  dir: string;
  patient: ReturnType<typeof generateAccount>;
  doctor: ReturnType<typeof generateAccount>;
  consents: Map<string, ConsentEntry[]>;
  records: Map<string, Uint8Array>;
}

/**
 * A chain stub that finalizes like a chain: a block every `blockMs` includes every tx submitted
 * since the last one; its ACCESS receipts come from the coverage rule at the block's time.
 */
function stubChain(
  f: { consents: Map<string, ConsentEntry[]>; records: Map<string, Uint8Array> },
  keys: Map<string, Uint8Array>,
  patient: Uint8Array,
  org: Uint8Array,
  blockMs: number,
) {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  let pending: Uint8Array[] = [];
  const receipts = new Map<string, FinalReceipt>();
  const waiters = new Map<string, () => void>();
  let height = 0;
  let headTime = Date.now();
  const timer = setInterval(() => {
    height++;
    headTime = Date.now();
    const txs = pending;
    pending = [];
    for (const bytes of txs) {
      const tx = decodeTx(bytes);
      const b = decodeBody(tx) as AccessBody;
      const rec = b.records[0] as Uint8Array;
      const code = coverage(f.consents.get(hex(tx.signer)), rec, TYPE, Action.READ, b.purpose, headTime);
      const h = `0x${hex(tx.hash)}`;
      receipts.set(h, {
        txHash: h,
        height,
        time: headTime,
        status: code === '' ? 'ok' : 'denied',
        code,
        events: [
          {
            type: 'access',
            attrs: {
              patient: `0x${hex(b.patient)}`,
              grantee: `0x${hex(tx.signer)}`,
              records: `0x${hex(rec)}`,
              purpose: PURPOSE_NAMES[b.purpose] as string,
              granted: code === '',
              emergency: false,
            },
          },
        ],
      });
      waiters.get(h)?.();
      waiters.delete(h);
    }
  }, blockMs);
  const chain: VaultChain = {
    chainId: CHAIN,
    identity: async (id) => {
      const pubkey = keys.get(hex(id));
      return pubkey === undefined ? undefined : { pubkey, suspended: false };
    },
    record: async (id) => {
      const locator = f.records.get(hex(id));
      return locator === undefined
        ? undefined
        : { patient, custodian: org, locator, erased: false, deletionReceipt: null };
    },
    submit: async (bytes) => {
      pending.push(bytes);
      return '0x';
    },
    waitFinal: (h, ms) =>
      new Promise((resolve) => {
        const r = receipts.get(h);
        if (r !== undefined) return resolve(r);
        const t = setTimeout(() => {
          waiters.delete(h);
          resolve(undefined);
        }, ms);
        waiters.set(h, () => {
          clearTimeout(t);
          resolve(receipts.get(h));
        });
      }),
    head: async () => ({ height, time: headTime }),
  };
  return { chain, stop: () => clearInterval(timer) };
}

async function fixture(pool: VerifierPool | undefined, blockMs: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-vault-bench-'));
  const store = await VaultStore.open(dir);
  const org = generateAccount();
  const patient = generateAccount();
  const doctor = generateAccount();
  const keys = new Map([patient, doctor, org].map((a) => [Buffer.from(a.id).toString('hex'), a.publicKey]));
  const consents = new Map<string, ConsentEntry[]>();
  const records = new Map<string, Uint8Array>();
  const { chain, stop } = stubChain({ consents, records }, keys, patient.id, identityId(org.publicKey), blockMs);
  const log = { info: () => {}, warn: () => {} };
  const service = new VaultService(
    { ...defaultVaultOptions, maxSkewMs: 600_000, ratePerIdentity: 0 },
    {
      store,
      chain,
      custodian: { id: identityId(org.publicKey), secretKey: org.secretKey, publicKey: org.publicKey },
      log,
      ...(pool === undefined ? {} : { verifier: pool }),
    },
  );
  return { stop, service, store, dir, patient, doctor, consents, records };
}

function header(
  a: { id: Uint8Array; publicKey: Uint8Array; secretKey: Uint8Array },
  vault: Uint8Array,
  op: VaultOp,
  record: Uint8Array,
  patient: Uint8Array,
  digest: Uint8Array,
  purpose: string,
): Uint8Array {
  const payload = encodeRequestPayload({
    op,
    vault,
    identity: a.id,
    pubkey: a.publicKey,
    record,
    patient,
    purpose,
    time: Date.now(),
    nonce: randomBytes(16),
    digest,
  });
  return encodeRequestHeader(payload, signFast(signingMessage(SignPurpose.VAULT_REQUEST, CHAIN, payload), a.secretKey));
}

const flagNum = (ctx: BenchContext, name: string, dflt: number): number => {
  const v = ctx.flags[name];
  return typeof v === 'string' ? Number(v) : dflt;
};

/** Raw XChaCha20-Poly1305 decrypts/s of `size` bytes, on the vault's own AEAD path (the limit). */
function rawAead(size: number, ms: number): number {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const ad = new Uint8Array(50);
  const ct = xchachaSeal(key, nonce, ad, noise(size));
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    xchachaOpen(key, nonce, ad, ct);
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

interface Window {
  ms: number;
  inflight: number;
}

/**
 * Runs `op(i)` for i = 0, 1, ... from `inflight` concurrent lanes (clients) until `ms` passed or
 * `max` ops started; returns ops/s.
 */
async function lanes(w: Window, max: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const start = performance.now();
  const deadline = start + w.ms;
  const lane = async (): Promise<void> => {
    while (next < max && performance.now() < deadline) {
      await op(next++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: w.inflight }, lane));
  return (done * 1000) / (performance.now() - start);
}

/** Fixture, verifier pool and window of a run; cleans up whatever happens. */
async function withFixture(
  ctx: BenchContext,
  body: (f: Fixture, w: Window) => Promise<{ id: string; ops_per_s: number; [extra: string]: unknown }>,
  size: number,
  defaultInflight: number,
): Promise<BenchResult> {
  const w = { ms: flagNum(ctx, 'ms', 1500), inflight: flagNum(ctx, 'inflight', defaultInflight) };
  const workers = flagNum(ctx, 'verify-workers', defaultVaultOptions.verifyWorkers);
  const pool = workers > 0 ? new VerifierPool({ workers, ...VAULT_VERIFY_BATCHING }) : undefined;
  const blockMs = flagNum(ctx, 'block-ms', 200);
  const f = await fixture(pool, blockMs);
  try {
    const r = await body(f, w);
    const limit = rawAead(size, w.ms / 2);
    return {
      ...r,
      limit_ops_per_s: round(limit),
      limit_mib_per_s: round((limit * size) / MiB, 1),
      ratio: round(r.ops_per_s / limit, 3),
      inflight: w.inflight,
      verify_workers: workers,
      block_ms: blockMs,
    };
  } finally {
    f.stop();
    await f.service.close();
    await pool?.close();
    await f.store.close();
    rmSync(f.dir, { recursive: true, force: true });
  }
}

const runPut = (ctx: BenchContext, size: number, label: string): Promise<BenchResult> =>
  withFixture(
    ctx,
    async (f, w) => {
      const plain = noise(size);
      const vault = f.service.custodianId;
      const ops = await lanes(w, Number.MAX_SAFE_INTEGER, async () => {
        const record = randomBytes(32);
        const s = sealRecord(record, plain);
        await f.service.put(header(f.patient, vault, 'put', record, f.patient.id, s.locator, ''), record, s.blob);
      });
      return {
        id: `vault.put.${label}`,
        ops_per_s: round(ops),
        mib_per_s: round((ops * size) / MiB, 1),
        note: 'client seal + signing of the request included',
      };
    },
    size,
    8,
  );

const runGet = (ctx: BenchContext, size: number, label: string): Promise<BenchResult> =>
  withFixture(
    ctx,
    async (f, w) => {
      const vault = f.service.custodianId;
      const RECORDS = 16;
      const ids: { record: Uint8Array; commitment: Uint8Array }[] = [];
      const grant = randomBytes(32);
      for (let i = 0; i < RECORDS; i++) {
        const record = randomBytes(32);
        const s = sealRecord(record, noise(size));
        await f.service.put(header(f.patient, vault, 'put', record, f.patient.id, s.locator, ''), record, s.blob);
        f.records.set(Buffer.from(record).toString('hex'), s.locator);
        await f.store.putWraps(record, [
          { grantee: f.doctor.id, grant, wrapped: wrapKey(f.doctor.publicKey, record, grant, s.key, s.salt) },
        ]);
        ids.push({ record, commitment: s.commitment });
      }
      f.consents.set(Buffer.from(f.doctor.id).toString('hex'), [
        [grant, ids.map((x) => x.record), 0, Action.READ, 1 << Purpose.TREAT, 0, Date.now() + 3_600_000, 0],
      ]);
      const me = unwrapKeyOf(f.doctor.secretKey);
      const tf = new TxFactory({ chainId: CHAIN, account: accountFromSecret(f.doctor.secretKey), sign: signFast });
      // Pre-signed requests (the requester's signing is the client's cost): more than the window needs.
      const N = size >= MiB ? 4_000 : 40_000;
      ctx.log(`vault.get.${label}: signing ${N} requests`);
      const reqs = Array.from({ length: N }, (_, i) => {
        const r = ids[i % RECORDS] as (typeof ids)[number];
        const tx = tf.access({ patient: f.patient.id, records: [r.record], purpose: 'TREAT' });
        return { r, h: header(f.doctor, vault, 'open', r.record, f.patient.id, tx.hash, 'TREAT'), tx: tx.bytes };
      });
      const lat: number[] = [];
      const one = async (i: number): Promise<void> => {
        const q = reqs[i] as (typeof reqs)[number];
        const t0 = performance.now();
        const s = await f.service.open(q.h, q.r.record, q.tx);
        const { key, salt } = unwrapKey(me, q.r.record, s.grant, s.wrapped);
        openRecord(q.r.record, s.blob, key, salt, q.r.commitment);
        lat.push(performance.now() - t0);
      };
      const rate = flagNum(ctx, 'rate', 0);
      const ops = rate > 0 ? await openLoop(w.ms, rate, N, one) : await lanes(w, N, one);
      lat.sort((a, b) => a - b);
      const pct = (p: number): number => round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0, 1);
      return {
        id: `vault.get.${label}`,
        ops_per_s: round(ops),
        mib_per_s: round((ops * size) / MiB, 1),
        ...(rate > 0 ? { rate } : {}),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
      };
    },
    size,
    256,
  );

/** Starts `op(i)` at `rate` per second for `ms` (open loop: arrivals do not wait for answers); returns completed/s. */
async function openLoop(ms: number, rate: number, max: number, op: (i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  const running: Promise<void>[] = [];
  let i = 0;
  while (i < max && performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    while (i < due && i < max) running.push(op(i++));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(running);
  return (running.length * 1000) / (performance.now() - start);
}

export const benchmarks: Benchmark[] = [
  { id: 'vault.put.4k', run: (ctx) => runPut(ctx, 4096, '4k') },
  { id: 'vault.put.1m', run: (ctx) => runPut(ctx, MiB, '1m') },
  { id: 'vault.get.4k', run: (ctx) => runGet(ctx, 4096, '4k') },
  { id: 'vault.get.1m', run: (ctx) => runGet(ctx, MiB, '1m') },
];
