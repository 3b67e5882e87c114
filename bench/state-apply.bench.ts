import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defaultChainParams, type Genesis, identityId } from '../src/chain/genesis.js';
import { assembleTx, encodeTxPayload, type Tx, type TxFields } from '../src/chain/tx.js';
import { fromHex, toHex, u32be, utf8 } from '../src/codec/bytes.js';
import { publicKeyOf } from '../src/crypto/ed25519.js';
import { sha256, sha256Parts } from '../src/crypto/hash.js';
import { BODY_CODECS, type BodyByKind, type MedicalKind } from '../src/tx/bodies.js';
import { Action, ALL_TYPES_MASK, CredentialType, IdentityType, Purpose, TxKind } from '../src/tx/kinds.js';
import { consentKey, credentialKey, identityKey, identityPubkeyKey, recordKey } from '../state/domain/keys.js';
import { medicalStateMachine, stageGenesis } from '../state/domain/medical-machine.js';
import { encodeConsents, encodeCredential, encodeIdentity, encodeRecord, NO_LICENSE } from '../state/domain/values.js';
import { executeBlock } from '../state/exec/executor.js';
import type { BlockContext } from '../state/exec/machine.js';
import { indexOps } from '../state/index/writer.js';
import { EMPTY_ROOT } from '../state/smt/node.js';
import { type StagedState, type StateChange, StateStore } from '../state/state-store.js';
import { type BatchOp, type Db, openDb, writeBatch } from '../state/store/db.js';
import { Prng, tempDir } from './fixtures.js';
import { gcMeter, round, rssMb } from './measure.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

/**
 * state.apply.*: medical transactions applied and committed per second with
 * 1M patients (identity, one record, one consent each) in state. Per block of
 * 10,000: executeBlock (rules, receipts, events root, state root), the audit
 * index ops, the state ops, one LevelDB batch, advance. Signatures are
 * pre-verified at admission, so the txs carry a dummy signature.
 */

const BLOCK = 10_000;
const CHAIN = 'bench-apply';
const T0 = 1_700_000_000_000;
const FAR = T0 + 10 * 365 * 86_400_000;
const ZERO_SIG = new Uint8Array(64);

const tag = (s: string, i: number): Uint8Array => sha256Parts([utf8(s), u32be(i)]);

/** Cheap distinct 32-byte values (the state tree hashes keys anyway): a label byte and i. */
function fill(label: number, i: number): Uint8Array {
  const b = new Uint8Array(32).fill(label);
  b[28] = i >>> 24;
  b[29] = i >>> 16;
  b[30] = i >>> 8;
  b[31] = i;
  return b;
}
const patientKey = (i: number): Uint8Array => fill(0xa1, i);
const recordId = (i: number): Uint8Array => fill(0xa2, i);
const consentId = (i: number): Uint8Array => fill(0xa3, i);
const commitmentOf = (i: number): Uint8Array => fill(0xa4, i);
const pracKey = (i: number): Uint8Array => fill(0xb1, i);
const pracIds: Uint8Array[] = [];
const pracId = (i: number): Uint8Array => {
  pracIds[i] ??= identityId(pracKey(i));
  return pracIds[i];
};

const LOCATOR = new Uint8Array(48).fill(7);
const pid = (ids: Uint8Array, i: number): Uint8Array => ids.subarray(i * 32, i * 32 + 32);

/** Entry e of the loaded state: patient e >> 2, part e & 3 (identity, key reservation, record, consent). */
function entryKey(e: number, ids: Uint8Array, practitioners: number): Uint8Array {
  const i = e >> 2;
  switch (e & 3) {
    case 0:
      return identityKey(pid(ids, i));
    case 1:
      return identityPubkeyKey(patientKey(i));
    case 2:
      return recordKey(recordId(i));
    default:
      return consentKey(pid(ids, i), pracId(i % practitioners));
  }
}

function entryValue(e: number, ids: Uint8Array, practitioners: number, org: Uint8Array): Uint8Array {
  const i = e >> 2;
  const id = pid(ids, i);
  switch (e & 3) {
    case 0:
      return encodeIdentity({
        type: IdentityType.PATIENT,
        pubkey: patientKey(i),
        org,
        registeredAt: T0,
        suspended: false,
        name: '',
        ...NO_LICENSE,
      });
    case 1:
      return id.slice();
    case 2:
      return encodeRecord({
        patient: id,
        resourceType: 3,
        custodian: org,
        author: pracId(i % practitioners),
        createdAt: T0,
        flags: 0,
        commitment: commitmentOf(i),
        locator: LOCATOR,
        erasedAt: 0,
      });
    default:
      return encodeConsents([
        [consentId(i), [], ALL_TYPES_MASK, Action.READ | Action.WRITE, 1 << Purpose.TREAT, T0, FAR, 0],
      ]);
  }
}

/** What a loaded state directory holds besides LevelDB (the bench keeps it in bench-meta.json). */
interface Meta {
  patients: number;
  practitioners: number;
  /** Hex state root of the last committed block. */
  root: string;
  height: number;
  time: number;
  nonce: number;
  loadMs: number;
}

interface Fixture extends Meta {
  dir: string;
  db: Db;
  store: StateStore;
  org: Uint8Array;
  prng: Prng;
}

const orgKeys = (): Uint8Array[] => [0, 1, 2, 3].map((i) => publicKeyOf(tag('org-sk', i)));
const metaPath = (dir: string): string => join(dir, 'bench-meta.json');

let fixture: Promise<Fixture> | undefined;

const loadPhases = { gen: 0, stage: 0, batch: 0, advance: 0 };

async function commit(db: Db, store: StateStore, changes: StateChange[]): Promise<void> {
  let t = performance.now();
  const staged = store.stage(changes);
  const ops: BatchOp[] = [];
  store.writeOps(staged, ops);
  loadPhases.stage += performance.now() - t;
  t = performance.now();
  await db.batch(ops);
  loadPhases.batch += performance.now() - t;
  t = performance.now();
  store.advance(staged);
  loadPhases.advance += performance.now() - t;
}

/**
 * Writes the 1M-patient state into `dir` directly through StateStore.stage /
 * writeOps in big batches (it does not execute 4M transactions). Runs in a
 * child process (see the bottom of this file), so the measuring process
 * starts like a node restarted on that state: the loader's garbage and
 * allocator fragmentation are not counted in rss_mb.
 */
async function loadState(
  dir: string,
  patients: number,
  practitioners: number,
  log: (l: string) => void,
): Promise<void> {
  const db = await openDb(dir);
  const store = new StateStore(db, EMPTY_ROOT);
  const t0 = performance.now();
  const keys = orgKeys();
  const genesis: Genesis = {
    chainId: CHAIN,
    time: T0,
    params: defaultChainParams,
    organizations: keys.map((pubkey, i) => ({ pubkey, name: `Hospital ${i}` })),
    validators: keys.map((pk) => ({ org: identityId(pk), pubkey: pk, power: 1 })),
  };
  const g = stageGenesis(medicalStateMachine, store, genesis);
  const gops: BatchOp[] = [];
  store.writeOps(g.staged, gops);
  await db.batch(gops);
  store.advance(g.staged);
  const org = identityId(keys[0] as Uint8Array);

  // Practitioners: identity, license and emergency credentials.
  let changes: StateChange[] = [];
  for (let p = 0; p < practitioners; p++) {
    const pk = pracKey(p);
    const id = identityId(pk);
    const ident = {
      type: IdentityType.PRACTITIONER,
      pubkey: pk,
      org,
      registeredAt: T0,
      suspended: false,
      name: '',
      licenseFrom: T0,
      licenseUntil: FAR,
    };
    changes.push({ key: identityKey(id), value: encodeIdentity(ident) });
    changes.push({ key: identityPubkeyKey(pk), value: id });
    for (const t of [CredentialType.LICENSE, CredentialType.EMERGENCY])
      changes.push({
        key: credentialKey(id, t, 0),
        value: encodeCredential({ issuer: org, validFrom: T0, validUntil: FAR, revokedAt: 0 }),
      });
  }
  await commit(db, store, changes);

  // Patients, each with identity, key reservation, one record pointer and one consent (read+write,
  // TREAT) to practitioner i % P: 4 entries per patient. Entries are committed grouped by the first
  // byte of sha256(key) (a counting sort), so each batch builds whole fresh subtrees of the state
  // tree instead of loading and rewriting nodes all over it.
  const entries = patients * 4;
  const ids = new Uint8Array(patients * 32);
  for (let i = 0; i < patients; i++) ids.set(identityId(patientKey(i)), i * 32);
  const bucketOf = new Uint8Array(entries);
  const counts = new Uint32Array(257);
  for (let e = 0; e < entries; e++) {
    const b = (sha256(entryKey(e, ids, practitioners)) as Uint8Array)[0] as number;
    bucketOf[e] = b;
    counts[b + 1] = (counts[b + 1] as number) + 1;
  }
  for (let b = 1; b <= 256; b++) counts[b] = (counts[b] as number) + (counts[b - 1] as number);
  const order = new Uint32Array(entries);
  const next = counts.slice(0, 256);
  for (let e = 0; e < entries; e++) {
    const b = bucketOf[e] as number;
    order[next[b] as number] = e;
    next[b] = (next[b] as number) + 1;
  }
  const perBatch = 200_000;
  let from = 0;
  for (let b = 0; b < 256; ) {
    // whole buckets per batch
    let to = from;
    while (b < 256 && (to === from || (counts[b + 1] as number) - from <= perBatch)) to = counts[++b] as number;
    const tg = performance.now();
    changes = [];
    for (let j = from; j < to; j++) {
      const e = order[j] as number;
      changes.push({ key: entryKey(e, ids, practitioners), value: entryValue(e, ids, practitioners, org) });
    }
    loadPhases.gen += performance.now() - tg;
    await commit(db, store, changes);
    from = to;
  }
  const loadMs = Math.round(performance.now() - t0);
  log(`loaded ${patients.toLocaleString('en-US')} patients/records/consents in ${loadMs} ms, loader rss ${rssMb()} MB`);
  log(
    `load phases (ms): ${JSON.stringify(Object.fromEntries(Object.entries(loadPhases).map(([k, v]) => [k, Math.round(v)])))}`,
  );
  const meta: Meta = { patients, practitioners, root: toHex(store.root), height: 1, time: T0 + 1000, nonce: 0, loadMs };
  await db.close();
  writeFileSync(metaPath(dir), JSON.stringify(meta));
}

function load(ctx: BenchContext): Promise<Fixture> {
  fixture ??= (async () => {
    const patients = Number(ctx.flags.patients ?? 1_000_000);
    const practitioners = Number(ctx.flags.practitioners ?? 1000);
    // --db-dir keeps a pristine loaded state between runs (loading 1M patients takes minutes);
    // each run works on a copy of it, so every run starts from the same state.
    const pristine =
      typeof ctx.flags['db-dir'] === 'string' ? (ctx.flags['db-dir'] as string) : await tempDir('apply-src');
    let meta = existsSync(metaPath(pristine))
      ? (JSON.parse(readFileSync(metaPath(pristine), 'utf8')) as Meta)
      : undefined;
    if (meta !== undefined && (meta.patients !== patients || meta.practitioners !== practitioners)) {
      rmSync(pristine, { recursive: true, force: true });
      meta = undefined;
    }
    if (meta === undefined) {
      ctx.log(`loading ${patients.toLocaleString('en-US')} patients into ${pristine} (child process)`);
      execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--load-state', pristine, String(patients), String(practitioners)],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      meta = JSON.parse(readFileSync(metaPath(pristine), 'utf8')) as Meta;
    }
    const dir = await tempDir('apply');
    cpSync(pristine, dir, { recursive: true });
    const cleanup = (): void => {
      // LevelDB may still be compacting at exit: retry, and never fail the run over a temp dir.
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
        if (ctx.flags['db-dir'] === undefined) rmSync(pristine, { recursive: true, force: true, maxRetries: 5 });
      } catch {}
    };
    process.once('exit', cleanup);
    const db = await openDb(dir);
    const store = new StateStore(db, fromHex(meta.root));
    return { ...meta, dir, db, store, org: identityId(orgKeys()[0] as Uint8Array), prng: new Prng(7) };
  })();
  return fixture;
}

function tx<K extends MedicalKind>(f: Fixture, kind: K, signerKey: Uint8Array, body: BodyByKind[K]): Tx {
  const fields: TxFields = {
    chainId: CHAIN,
    kind,
    signer: identityId(signerKey),
    pubkey: signerKey,
    expiresAt: f.time + 60_000,
    nonce: u32be(f.nonce++),
    body: (BODY_CODECS[kind] as { encode(b: BodyByKind[K]): unknown[] }).encode(body),
  };
  return assembleTx(fields, encodeTxPayload(fields), ZERO_SIG);
}

function accessTx(f: Fixture): Tx {
  const i = f.prng.below(f.patients);
  return tx(f, TxKind.ACCESS, pracKey(i % f.practitioners), {
    patient: identityId(patientKey(i)),
    records: [recordId(i)],
    purpose: Purpose.TREAT,
  });
}

/** 80 % access, 8 % consent grants, 5 % record pointers, 5 % revocations, 2 % break-glass. */
function mixedTx(f: Fixture): Tx {
  const r = f.prng.below(100);
  if (r < 80) return accessTx(f);
  const i = f.prng.below(f.patients);
  const patient = identityId(patientKey(i));
  if (r < 88)
    return tx(f, TxKind.GRANT_CONSENT, patientKey(i), {
      patient,
      grantee: pracId(f.prng.below(f.practitioners)),
      records: [recordId(i)],
      types: 0,
      actions: Action.READ,
      purposes: (1 << Purpose.TREAT) | (1 << Purpose.HPAYMT),
      notBefore: f.time,
      expiresAt: f.time + 48 * 3_600_000,
    });
  if (r < 93)
    return tx(f, TxKind.ADD_RECORD, pracKey(i % f.practitioners), {
      record: fill(0xc1, f.nonce),
      patient,
      resourceType: 3,
      commitment: fill(0xc2, f.nonce),
      locator: fill(0xc3, f.nonce),
      custodian: f.org,
      purpose: Purpose.TREAT,
    });
  if (r < 98) {
    return tx(f, TxKind.REVOKE_CONSENT, patientKey(i), {
      patient,
      grantee: pracId(i % f.practitioners),
      consent: consentId(i),
    });
  }
  return tx(f, TxKind.BREAK_GLASS, pracKey(f.prng.below(f.practitioners)), { patient, reason: Purpose.ETREAT });
}

/** The previous digest chained with a block's roots and every op of its batch, in order. */
function chainDigest(
  prev: Uint8Array,
  state: Uint8Array,
  tx: Uint8Array,
  events: Uint8Array,
  ops: BatchOp[],
): Uint8Array {
  const parts = [prev, state, tx, events];
  for (const op of ops)
    parts.push(utf8(op.type), u32be(op.key.length), op.key, op.type === 'put' ? op.value : new Uint8Array(0));
  return sha256Parts(parts);
}

let gc: (() => void) | undefined;

/**
 * Resident memory after a full GC (V8 otherwise keeps garbage of the
 * generated blocks committed), the live JS heap, and the peak (VmHWM).
 */
function memory(): Record<string, number | undefined> {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const kb = (name: string): number | undefined => {
    const m = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1];
    return m === undefined ? undefined : round(Number(m) / 1024, 1);
  };
  // LevelDB maps its table files: rss_file_mb is page cache the kernel can reclaim, rss_anon_mb is the node's own.
  return {
    rss_mb: rssMb(),
    rss_anon_mb: kb('RssAnon'),
    rss_file_mb: kb('RssFile'),
    rss_peak_mb: kb('VmHWM'),
    heap_mb: round(process.memoryUsage().heapUsed / 1048576, 1),
  };
}

async function run(ctx: BenchContext, id: string, make: (f: Fixture) => Tx): Promise<BenchResult> {
  const f = await load(ctx);
  const blocks = Number(ctx.flags.blocks ?? 10);
  let ms = 0;
  let n = 0;
  const counts = { ok: 0, denied: 0, failed: 0, dropped: 0 };
  const phase = { exec: 0, ops: 0, commit: 0 };
  const makeBlock = (): Tx[] => {
    const txs: Tx[] = new Array(BLOCK);
    for (let i = 0; i < BLOCK; i++) txs[i] = make(f);
    return txs;
  };
  // As the node does at admission: one batched read of a block's read set, overlapping the
  // previous block's commit, so execution does not miss the cache key by key.
  const prefetch = (txs: Tx[]): Promise<void> => {
    const keys: Uint8Array[] = [];
    for (const tx of txs) medicalStateMachine.readKeys?.(tx, keys);
    return f.store.prefetch(keys);
  };
  // --digest: one hash over every block's roots and batch ops (outside the timings), to hold two builds equal.
  let digest: Uint8Array | undefined = ctx.flags.digest === undefined ? undefined : new Uint8Array(32);
  let txs = makeBlock();
  let warm = prefetch(txs);
  // Process CPU (all threads: LevelDB's included) is robust where wall time is not, on a shared machine.
  let cpuUs = 0;
  const gcm = gcMeter();
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  for (let b = 0; b < blocks; b++) {
    const bctx: BlockContext = {
      chainId: CHAIN,
      height: f.height,
      time: f.time,
      proposer: f.org,
      params: defaultChainParams,
    };
    const c0 = cpuNow();
    const t0 = performance.now();
    await warm;
    // As a proposer builds: txs the sender rule refuses (a suspended grantee) stay out of the block.
    const exec = executeBlock(medicalStateMachine, f.store, bctx, txs, { drop: true });
    const t1 = performance.now();
    const c1 = cpuNow();
    const next = b + 1 < blocks ? makeBlock() : [];
    const t1b = performance.now();
    const c1b = cpuNow();
    const ops: BatchOp[] = [];
    f.store.writeOps(exec.staged as StagedState, ops);
    // As the node indexes: employers of practitioners read from committed state (accesses by organization).
    const read = (k: Uint8Array) => f.store.get(k);
    indexOps({ height: f.height, time: f.time, txs: exec.txs, receipts: exec.receipts, read }, ops);
    const t2 = performance.now();
    const write = writeBatch(f.db, ops, false);
    warm = prefetch(next);
    await write;
    f.store.advance(exec.staged);
    const t3 = performance.now();
    gcm.count(t0, t1);
    gcm.count(t1b, t3);
    cpuUs += cpuNow() - c0 - (c1b - c1);
    if (digest !== undefined) digest = chainDigest(digest, exec.stateRoot, exec.txRoot, exec.eventsRoot, ops);
    // Building the next block's txs is load generation, not apply: not counted.
    ms += t3 - t0 - (t1b - t1);
    phase.exec += t1 - t0;
    phase.ops += t2 - t1b;
    phase.commit += t3 - t2;
    n += exec.txs.length;
    // Receipts follow the txs the block carries: those left out (dropped) have none.
    counts.dropped += exec.dropped.length;
    for (let i = 0; i < exec.txs.length; i++) {
      const s = (exec.receipts[i] as { status: number }).status;
      if (s === 0) counts.ok++;
      else if (s === 2) counts.denied++;
      else counts.failed++;
    }
    txs = next;
    f.height++;
    f.time += 1000;
  }
  const gcs = await gcm.stop();
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return {
    id,
    ops_per_s: round(n / (ms / 1000)),
    block: BLOCK,
    blocks,
    patients: f.patients,
    consents: f.patients,
    practitioners: f.practitioners,
    ...counts,
    cpu_us_per_tx: round(cpuUs / n, 1),
    exec_ms_per_block: round(phase.exec / blocks, 1),
    ops_ms_per_block: round(phase.ops / blocks, 1),
    commit_ms_per_block: round(phase.commit / blocks, 1),
    // Main-thread GC pauses in the measured time (block building excluded), and the young generation's size.
    gc_pct: round((100 * (gcs.minorMs + gcs.otherMs)) / ms, 1),
    gc_minor_ms_per_block: round(gcs.minorMs / blocks, 1),
    gc_other_ms_per_block: round(gcs.otherMs / blocks, 1),
    scavenges_per_block: round(gcs.minor / blocks, 1),
    new_space_mb: round((newSpace?.space_size ?? 0) / 1048576, 1),
    load_ms: f.loadMs,
    ...(digest === undefined ? {} : { digest: toHex(digest) }),
    ...memory(),
  };
}

export const benchmarks: Benchmark[] = [
  { id: 'state.apply.access', run: (ctx) => run(ctx, 'state.apply.access', accessTx) },
  { id: 'state.apply.mixed', run: (ctx) => run(ctx, 'state.apply.mixed', mixedTx) },
];

// `node state-apply.bench.js --load-state <dir> <patients> <practitioners>`: the loader child process.
if (process.argv[2] === '--load-state' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, patients, practitioners] = process.argv.slice(3) as [string, string, string];
  loadState(dir, Number(patients), Number(practitioners), (l) => process.stderr.write(`${l}\n`)).catch(
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
