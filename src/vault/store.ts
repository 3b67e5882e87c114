/**
 * The vault's LevelDB: ciphertexts content-addressed by locator, record metadata, wrapped keys per
 * (record, grantee), deletion receipts (and which of them the chain shows attested) and the log of
 * refused requests. Keys are a one-byte table tag followed by fixed-size ids.
 */

import { decode, encode } from 'cborg';
import { ClassicLevel } from 'classic-level';
import { dbKey, prefixEnd } from '../../state/store/db.js';

const T_BLOB = 0x62; // 'b' + locator
const T_META = 0x6d; // 'm' + record
const T_WRAP = 0x77; // 'w' + record + grantee
const T_RECEIPT = 0x64; // 'd' + record
const T_REFUSAL = 0x61; // 'a' + time(8) + seq(4)
const T_ATTESTED = 0x74; // 't' + record -> the receipt hash the chain shows (record_get deletionReceipt)
const T_NONCE = 0x6e; // 'n' + sha256(nonce key) -> until(8): request nonces and access txs that must survive a restart
/** Blobs up to this size are read synchronously. */
const SYNC_BLOB_BYTES = 64 * 1024;

export interface RecordMeta {
  patient: Uint8Array;
  locator: Uint8Array;
  uploader: Uint8Array;
  size: number;
  storedAt: number;
}

export interface WrapEntry {
  grantee: Uint8Array;
  grant: Uint8Array;
  wrapped: Uint8Array;
}

export interface Refusal {
  time: number;
  op: string;
  code: string;
  reason?: string;
  record: string;
  identity: string;
  /** The requester's ACCESS tx (submitted on first sight), when it carried one. */
  accessTx?: string;
}

/** Refusal rows kept at most; the oldest go first. */
export const DEFAULT_MAX_REFUSALS = 100_000;

export class VaultStore {
  private seq = 0;
  /** Bytes of ciphertext held (counted at open, kept current). */
  totalBytes = 0;
  /** Bytes held per uploader (hex id), for the per-identity upload quota. */
  readonly uploaded = new Map<string, number>();
  private refusalCount = 0;
  maxRefusals = DEFAULT_MAX_REFUSALS;

  private constructor(private readonly db: ClassicLevel<Uint8Array, Uint8Array>) {}

  static async open(dir: string): Promise<VaultStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const s = new VaultStore(db);
    for await (const [, v] of db.iterator({ gte: Uint8Array.of(T_META), lt: Uint8Array.of(T_META + 1) })) {
      const m = decodeMeta(v);
      s.totalBytes += m.size;
      s.addUploaded(m.uploader, m.size);
    }
    for await (const k of db.keys({ gte: Uint8Array.of(T_REFUSAL), lt: Uint8Array.of(T_REFUSAL + 1), reverse: true })) {
      if (s.refusalCount === 0) s.seq = new DataView(k.buffer, k.byteOffset).getUint32(9) + 1;
      s.refusalCount++;
    }
    return s;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // Small reads are synchronous (docs/ARCHITECTURE.md, platform facts: getSync is as fast as many gets in flight, without
  // a thread-pool round trip per read); blobs above SYNC_BLOB_BYTES are read off the main thread.

  getMeta(record: Uint8Array): RecordMeta | undefined {
    const v = this.db.getSync(dbKey(T_META, record));
    return v === undefined ? undefined : decodeMeta(v);
  }

  /** The blob at `locator`, of `size` bytes (from its metadata). */
  async getBlob(locator: Uint8Array, size: number): Promise<Uint8Array | undefined> {
    const k = dbKey(T_BLOB, locator);
    return size <= SYNC_BLOB_BYTES ? this.db.getSync(k) : this.db.get(k);
  }

  private addUploaded(uploader: Uint8Array, n: number): void {
    const k = Buffer.from(uploader).toString('hex');
    const v = (this.uploaded.get(k) ?? 0) + n;
    if (v <= 0) this.uploaded.delete(k);
    else this.uploaded.set(k, v);
  }

  uploadedBy(uploader: Uint8Array): number {
    return this.uploaded.get(Buffer.from(uploader).toString('hex')) ?? 0;
  }

  async putRecord(record: Uint8Array, meta: RecordMeta, blob: Uint8Array): Promise<void> {
    await this.db.batch([
      { type: 'put', key: dbKey(T_BLOB, meta.locator), value: blob },
      {
        type: 'put',
        key: dbKey(T_META, record),
        value: encode([meta.patient, meta.locator, meta.uploader, meta.size, meta.storedAt]),
      },
    ]);
    this.totalBytes += meta.size;
    this.addUploaded(meta.uploader, meta.size);
  }

  async putWraps(record: Uint8Array, wraps: WrapEntry[]): Promise<void> {
    await this.db.batch(
      wraps.map((w) => ({
        type: 'put' as const,
        key: dbKey(T_WRAP, record, w.grantee),
        value: encode([w.grant, w.wrapped]),
      })),
    );
  }

  getWrap(record: Uint8Array, grantee: Uint8Array): WrapEntry | undefined {
    const v = this.db.getSync(dbKey(T_WRAP, record, grantee));
    if (v === undefined) return undefined;
    const [grant, wrapped] = decode(v) as [Uint8Array, Uint8Array];
    return { grantee, grant, wrapped };
  }

  /**
   * Crypto-shredding: deletes the ciphertext, the metadata and every wrapped key (key + salt) of a
   * record, writing `receipt(meta, keys)` (the deletion receipt, if any) in the same batch, so
   * the bytes leave the files on disk, not only the key space: LevelDB delete markers leave
   * values readable in older tables and the log until a compaction that may never come. A manual
   * compaction never rewrites the bottom level it reaches, and a memtable flush writes a value and
   * its delete marker into the same table; so the ranges are compacted before the deletes (the
   * values move from the log into tables) and after (the markers are flushed above them and
   * merged down, dropping the values; the old log is removed).
   */
  async shred(
    record: Uint8Array,
    receipt?: (meta: RecordMeta, keys: number) => string,
  ): Promise<{ meta: RecordMeta; keys: number } | undefined> {
    const meta = this.getMeta(record);
    if (meta === undefined) return undefined;
    const prefix = dbKey(T_WRAP, record);
    const ops: ({ type: 'del'; key: Uint8Array } | { type: 'put'; key: Uint8Array; value: Uint8Array })[] = [];
    for await (const k of this.db.keys({ gte: prefix, lt: prefixEnd(prefix) })) ops.push({ type: 'del', key: k });
    const keys = ops.length;
    const ranges = [dbKey(T_BLOB, meta.locator), dbKey(T_META, record), prefix];
    await this.compact(ranges);
    ops.push({ type: 'del', key: dbKey(T_BLOB, meta.locator) }, { type: 'del', key: dbKey(T_META, record) });
    if (receipt !== undefined)
      ops.push({ type: 'put', key: dbKey(T_RECEIPT, record), value: new TextEncoder().encode(receipt(meta, keys)) });
    await this.db.batch(ops);
    this.totalBytes -= meta.size;
    this.addUploaded(meta.uploader, -meta.size);
    await this.compact(ranges);
    return { meta, keys };
  }

  /** Compacts the key range of each exact key or prefix given (flushes the log, rewrites the tables). */
  private async compact(prefixes: Uint8Array[]): Promise<void> {
    for (const p of prefixes) await this.db.compactRange(p, prefixEnd(p));
  }

  async putReceipt(record: Uint8Array, json: string): Promise<void> {
    await this.db.put(dbKey(T_RECEIPT, record), new TextEncoder().encode(json));
  }

  async getReceipt(record: Uint8Array): Promise<string | undefined> {
    const v = await this.db.get(dbKey(T_RECEIPT, record));
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }

  /**
   * Stored deletion receipts in record order; `unattested`: only those not yet marked attested
   * (markAttested), i.e. whose attestation still has to be checked on chain or (re)submitted.
   */
  async *receipts(o: { unattested?: boolean } = {}): AsyncGenerator<{ record: Uint8Array; json: string }> {
    const dec = new TextDecoder();
    for await (const [k, v] of this.db.iterator({ gte: Uint8Array.of(T_RECEIPT), lt: Uint8Array.of(T_RECEIPT + 1) })) {
      const record = k.slice(1);
      if (o.unattested === true && this.db.getSync(dbKey(T_ATTESTED, record)) !== undefined) continue;
      yield { record, json: dec.decode(v) };
    }
  }

  /** Records that the chain shows a deletion receipt hash (`onChain`) for this record: settled. */
  async markAttested(record: Uint8Array, onChain: Uint8Array): Promise<void> {
    await this.db.put(dbKey(T_ATTESTED, record), onChain);
  }

  async *records(): AsyncGenerator<Uint8Array> {
    for await (const k of this.db.keys({ gte: Uint8Array.of(T_META), lt: Uint8Array.of(T_META + 1) }))
      yield k.subarray(1);
  }

  /** Appends a refusal; beyond `maxRefusals` rows the oldest are dropped. */
  async logRefusal(r: Refusal): Promise<void> {
    const k = new Uint8Array(13);
    k[0] = T_REFUSAL;
    new DataView(k.buffer).setBigUint64(1, BigInt(r.time));
    new DataView(k.buffer).setUint32(9, this.seq++ >>> 0);
    await this.db.put(k, new TextEncoder().encode(JSON.stringify(r)));
    if (++this.refusalCount <= this.maxRefusals) return;
    const drop: Uint8Array[] = [];
    const n = this.refusalCount - this.maxRefusals;
    for await (const old of this.db.keys({ gte: Uint8Array.of(T_REFUSAL), lt: Uint8Array.of(T_REFUSAL + 1), limit: n }))
      drop.push(old);
    await this.db.batch(drop.map((key) => ({ type: 'del' as const, key })));
    this.refusalCount -= drop.length;
  }

  /**
   * Refusals newest first, at most `limit`; `before` is the cursor of the previous page (the
   * `next` it returned): rows strictly older than it.
   */
  async refusals(limit = 100, before?: string): Promise<{ refusals: Refusal[]; next: string | null }> {
    const lt = before === undefined ? Uint8Array.of(T_REFUSAL + 1) : cursorKey(before);
    const out: Refusal[] = [];
    let last: Uint8Array | undefined;
    for await (const [k, v] of this.db.iterator({ gte: Uint8Array.of(T_REFUSAL), lt, reverse: true, limit })) {
      out.push(JSON.parse(new TextDecoder().decode(v)) as Refusal);
      last = k;
    }
    const next = out.length === limit && last !== undefined ? Buffer.from(last.subarray(1)).toString('hex') : null;
    return { refusals: out, next };
  }

  get refusalRows(): number {
    return this.refusalCount;
  }

  // ---- nonces that must survive a restart ----

  async putNonce(key: Uint8Array, until: number): Promise<void> {
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigUint64(0, BigInt(until));
    await this.db.put(dbKey(T_NONCE, key), v);
  }

  /** Rows of the persisted nonce table (expired ones included until the next loadNonces). */
  async nonceRows(): Promise<number> {
    let n = 0;
    for await (const _ of this.db.keys({ gte: Uint8Array.of(T_NONCE), lt: Uint8Array.of(T_NONCE + 1) })) n++;
    return n;
  }

  /** Live persisted nonces; expired ones are deleted on the way (also the periodic purge). */
  async loadNonces(now: number): Promise<{ key: Uint8Array; until: number }[]> {
    const live: { key: Uint8Array; until: number }[] = [];
    const dead: Uint8Array[] = [];
    for await (const [k, v] of this.db.iterator({ gte: Uint8Array.of(T_NONCE), lt: Uint8Array.of(T_NONCE + 1) })) {
      const until = Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0));
      if (until > now) live.push({ key: k.slice(1), until });
      else dead.push(k);
    }
    if (dead.length > 0) await this.db.batch(dead.map((key) => ({ type: 'del' as const, key })));
    return live;
  }

  /** Record ids with their metadata (the unanchored-blob collector walks them). */
  async *metas(): AsyncGenerator<{ record: Uint8Array; meta: RecordMeta }> {
    for await (const [k, v] of this.db.iterator({ gte: Uint8Array.of(T_META), lt: Uint8Array.of(T_META + 1) }))
      yield { record: k.slice(1), meta: decodeMeta(v) };
  }
}

/** A paging cursor (hex of time(8) + seq(4)) as the key bound; malformed cursors start from the newest. */
function cursorKey(c: string): Uint8Array {
  if (!/^[0-9a-f]{24}$/.test(c)) return Uint8Array.of(T_REFUSAL + 1);
  const k = new Uint8Array(13);
  k[0] = T_REFUSAL;
  k.set(Buffer.from(c, 'hex'), 1);
  return k;
}

function decodeMeta(v: Uint8Array): RecordMeta {
  const [patient, locator, uploader, size, storedAt] = decode(v) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    number,
    number,
  ];
  return { patient, locator, uploader, size, storedAt };
}
