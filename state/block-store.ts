import { readU64be, u32be, u64be } from '../src/codec/bytes.js';
import { asBytes, asTuple, asUint, decodeCanonical, encode } from '../src/codec/cbor.js';
import { type BatchOp, type Db, dbKey, Prefix } from './store/db.js';

/** The committed tip: what a restart resumes from. */
export interface Head {
  height: number;
  hash: Uint8Array;
  time: number;
  stateRoot: Uint8Array;
}

export const HEAD_KEY = dbKey(Prefix.META, new TextEncoder().encode('head'));

const encodeHead = (h: Head): Uint8Array => encode([h.height, h.hash, h.time, h.stateRoot]);

/** The batch op that moves the head: the last op of every commit. */
export const headOp = (h: Head): BatchOp => ({ type: 'put', key: HEAD_KEY, value: encodeHead(h) });

export function decodeHead(b: Uint8Array): Head {
  const [height, hash, time, root] = asTuple(decodeCanonical(b, 256), 4, 'head');
  return {
    height: asUint(height, 'head.height'),
    hash: asBytes(hash, 'head.hash', 32),
    time: asUint(time, 'head.time'),
    stateRoot: asBytes(root, 'head.root', 32),
  };
}

export interface StoredBlock {
  height: number;
  hash: Uint8Array;
  bytes: Uint8Array;
}

/** Blocks, certificates, receipts and the tx index. Writes only go through a commit batch. */
export class BlockStore {
  constructor(private readonly db: Db) {}

  readHead(): Head | null {
    const b = this.db.getSync(HEAD_KEY);
    return b === undefined ? null : decodeHead(b);
  }

  async getBlock(height: number): Promise<Uint8Array | undefined> {
    return this.db.get(dbKey(Prefix.BLOCK, u64be(height)));
  }

  async getHeightByHash(hash: Uint8Array): Promise<number | undefined> {
    const b = await this.db.get(dbKey(Prefix.BLOCK_HASH, hash));
    return b === undefined ? undefined : readU64be(b);
  }

  async getCert(height: number): Promise<Uint8Array | undefined> {
    return this.db.get(dbKey(Prefix.CERT, u64be(height)));
  }

  /** The block's encoded receipts (RFC 6962 leaves of eventsRoot), in order. */
  async getReceipts(height: number): Promise<Uint8Array[] | undefined> {
    const b = await this.db.get(dbKey(Prefix.RECEIPTS, u64be(height)));
    if (b === undefined) return undefined;
    return (decodeCanonical(b, 256 * 1024 * 1024) as unknown[]).map((r) => asBytes(r, 'receipt'));
  }

  async getTxLocation(txHash: Uint8Array): Promise<{ height: number; index: number } | undefined> {
    const b = await this.db.get(dbKey(Prefix.TX, txHash));
    if (b === undefined) return undefined;
    return { height: readU64be(b), index: new DataView(b.buffer, b.byteOffset + 8, 4).getUint32(0) };
  }

  /** Adds a block's records and the new head to a commit batch. */
  commitOps(
    ops: BatchOp[],
    b: {
      height: number;
      hash: Uint8Array;
      bytes: Uint8Array;
      cert: Uint8Array;
      receipts: Uint8Array[];
      txHashes: readonly Uint8Array[];
    },
    head: Head,
  ): void {
    const h = u64be(b.height);
    ops.push({ type: 'put', key: dbKey(Prefix.BLOCK, h), value: b.bytes });
    ops.push({ type: 'put', key: dbKey(Prefix.BLOCK_HASH, b.hash), value: h });
    ops.push({ type: 'put', key: dbKey(Prefix.CERT, h), value: b.cert });
    ops.push({ type: 'put', key: dbKey(Prefix.RECEIPTS, h), value: encode(b.receipts) });
    for (let i = 0; i < b.txHashes.length; i++) {
      const loc = new Uint8Array(12);
      loc.set(h);
      loc.set(u32be(i), 8);
      ops.push({ type: 'put', key: dbKey(Prefix.TX, b.txHashes[i] as Uint8Array), value: loc });
    }
    ops.push(headOp(head));
  }
}
