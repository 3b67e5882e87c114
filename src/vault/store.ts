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

export class VaultStore {
  private seq = 0;
  /** Bytes of ciphertext held (counted at open, kept current). */
  totalBytes = 0;

  private constructor(private readonly db: ClassicLevel<Uint8Array, Uint8Array>) {}

  static async open(dir: string): Promise<VaultStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const s = new VaultStore(db);
    for await (const [, v] of db.iterator({ gte: Uint8Array.of(T_META), lt: Uint8Array.of(T_META + 1) }))
      s.totalBytes += decodeMeta(v).size;
    return s;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // Small reads are synchronous (PLATFORM.md: getSync is as fast as many gets in flight, without
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

  /** Crypto-shredding: deletes the ciphertext, the metadata and every wrapped key (key + salt) of a record. */
  async shred(record: Uint8Array): Promise<{ meta: RecordMeta; keys: number } | undefined> {
    const meta = await this.getMeta(record);
    if (meta === undefined) return undefined;
    const prefix = dbKey(T_WRAP, record);
    const ops: { type: 'del'; key: Uint8Array }[] = [];
    for await (const k of this.db.keys({ gte: prefix, lt: prefixEnd(prefix) })) ops.push({ type: 'del', key: k });
    const keys = ops.length;
    ops.push({ type: 'del', key: dbKey(T_BLOB, meta.locator) }, { type: 'del', key: dbKey(T_META, record) });
    await this.db.batch(ops);
    this.totalBytes -= meta.size;
    return { meta, keys };
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

  async logRefusal(r: Refusal): Promise<void> {
    const k = new Uint8Array(13);
    k[0] = T_REFUSAL;
    new DataView(k.buffer).setBigUint64(1, BigInt(r.time));
    new DataView(k.buffer).setUint32(9, this.seq++ >>> 0);
    await this.db.put(k, new TextEncoder().encode(JSON.stringify(r)));
  }

  async refusals(limit = 1000): Promise<Refusal[]> {
    const out: Refusal[] = [];
    for await (const v of this.db.values({ gte: Uint8Array.of(T_REFUSAL), lt: Uint8Array.of(T_REFUSAL + 1), limit }))
      out.push(JSON.parse(new TextDecoder().decode(v)) as Refusal);
    return out;
  }
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
