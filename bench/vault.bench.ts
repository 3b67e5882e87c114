/**
 * vault.put and vault.get, in process against the real VaultService and its LevelDB, with the
 * chain's own coverage rule (state/domain/rules.ts) as the consent check over an in-memory
 * consent list, so the figures are the vault's, not the node's RPC.
 *   vault.put.<size>: seal (fresh key, XChaCha20-Poly1305, commitment) + signed PUT (verify, store)
 *   vault.get.<size>: signed open (verify, replay check, key check, consent check, audit submit to
 *                     a counting stub, store read) + client unwrap (X25519) + commitment + decrypt
 * Requests are signed before the timed loop (the requester's signing is the client's cost).
 * `--inflight N` (default 8) clients run at once, as a vault serves many; request signatures are
 * verified on `--verify-workers` (default: the vault's default) worker threads.
 * Limit: raw XChaCha20-Poly1305 decrypt of the same size (src/crypto/aead.ts, OpenSSL), in the same run.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from '@noble/hashes/utils.js';
import { identityId } from '../src/chain/genesis.js';
import { accountFromSecret, generateAccount, TxFactory } from '../src/client/tx.js';
import { openRecord, sealRecord, unwrapKey, unwrapKeyOf, wrapKey } from '../src/client/vault/crypto.js';
import { encodeRequestHeader, encodeRequestPayload, type VaultOp } from '../src/client/vault/protocol.js';
import { xchachaOpen, xchachaSeal } from '../src/crypto/aead.js';
import { SignPurpose, signingMessage } from '../src/crypto/domain.js';
import { signFast } from '../src/crypto/ed25519.js';
import { VerifierPool } from '../src/crypto/pool/pool.js';
import { Action, Purpose, RESOURCE_TYPES } from '../src/tx/kinds.js';
import type { AccessVerdict, VaultChain } from '../src/vault/chain.js';
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
  service: VaultService;
  store: VaultStore;
  dir: string;
  patient: ReturnType<typeof generateAccount>;
  doctor: ReturnType<typeof generateAccount>;
  consents: Map<string, ConsentEntry[]>;
  records: Map<string, Uint8Array>;
}

async function fixture(pool: VerifierPool | undefined): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-vault-bench-'));
  const store = await VaultStore.open(dir);
  const org = generateAccount();
  const patient = generateAccount();
  const doctor = generateAccount();
  const keys = new Map([patient, doctor, org].map((a) => [Buffer.from(a.id).toString('hex'), a.publicKey]));
  const consents = new Map<string, ConsentEntry[]>();
  const records = new Map<string, Uint8Array>();
  const chain: VaultChain = {
    chainId: CHAIN,
    identityKey: async (id) => keys.get(Buffer.from(id).toString('hex')),
    checkAccess: async (grantee, record, purpose): Promise<AccessVerdict> => {
      const list = consents.get(Buffer.from(grantee).toString('hex'));
      const code = coverage(list, record, TYPE, Action.READ, Purpose[purpose as keyof typeof Purpose], Date.now());
      return {
        granted: code === '',
        code: code === '' ? null : code,
        patient: patient.id,
        consent: list?.[0]?.[0] ?? null,
        emergency: false,
        session: null,
      };
    },
    record: async (id) => {
      const locator = records.get(Buffer.from(id).toString('hex'));
      return locator === undefined
        ? undefined
        : { patient: patient.id, custodian: org.id, locator, erased: false, deletionReceipt: null };
    },
    submit: async () => '0x',
  };
  const log = { info: () => {}, warn: () => {} };
  const service = new VaultService(
    { ...defaultVaultOptions, maxSkewMs: 600_000 },
    {
      store,
      chain,
      custodian: { id: identityId(org.publicKey), secretKey: org.secretKey, publicKey: org.publicKey },
      log,
      ...(pool === undefined ? {} : { verifier: pool }),
    },
  );
  return { service, store, dir, patient, doctor, consents, records };
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
): Promise<BenchResult> {
  const w = { ms: flagNum(ctx, 'ms', 1500), inflight: flagNum(ctx, 'inflight', 8) };
  const workers = flagNum(ctx, 'verify-workers', defaultVaultOptions.verifyWorkers);
  const pool = workers > 0 ? new VerifierPool({ workers, ...VAULT_VERIFY_BATCHING }) : undefined;
  const f = await fixture(pool);
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
    };
  } finally {
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
      const ops = await lanes(w, N, async (i) => {
        const q = reqs[i] as (typeof reqs)[number];
        const s = await f.service.open(q.h, q.r.record, q.tx);
        const { key, salt } = unwrapKey(me, q.r.record, s.grant, s.wrapped);
        openRecord(q.r.record, s.blob, key, salt, q.r.commitment);
      });
      return { id: `vault.get.${label}`, ops_per_s: round(ops), mib_per_s: round((ops * size) / MiB, 1) };
    },
    size,
  );

export const benchmarks: Benchmark[] = [
  { id: 'vault.put.4k', run: (ctx) => runPut(ctx, 4096, '4k') },
  { id: 'vault.put.1m', run: (ctx) => runPut(ctx, MiB, '1m') },
  { id: 'vault.get.4k', run: (ctx) => runGet(ctx, 4096, '4k') },
  { id: 'vault.get.1m', run: (ctx) => runGet(ctx, MiB, '1m') },
];
