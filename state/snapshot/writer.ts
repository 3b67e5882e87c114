import { type Header, headerHash } from '../../src/chain/block.js';
import { u64be, utf8 } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { BlockStore, headOp } from '../block-store.js';
import { type BatchOp, type Db, dbKey, Prefix, prefixEnd } from '../store/db.js';
import { SnapshotErrorCode, type VerifiedChunk } from './chunk.js';

const PARTIAL_KEY = dbKey(Prefix.META, utf8('snapshot-partial'));
/** The lowest height whose block this node holds (absent: 1, a node that replayed from genesis). */
export const EARLIEST_KEY = dbKey(Prefix.META, utf8('earliest'));

/** A transaction that is replay-protected at the snapshot height (ReplaySet entries). */
export interface ReplayEntry {
  hash: Uint8Array;
  expiresAt: number;
}

/**
 * Writes a verified snapshot into a node's database. `begin` marks the join
 * as partial and drops the genesis values (a key absent at the snapshot height
 * must not keep a genesis value); `finish` writes the certified block, its
 * certificate, the replay window and the head in one batch and clears the
 * mark. Tree nodes are content-addressed, so nodes left from genesis are
 * harmless (the pruner sweeps them).
 */
export class SnapshotWriter {
  private constructor(private readonly db: Db) {}

  /** True when a join started on this database and did not finish. */
  static isPartial(db: Db): boolean {
    return db.getSync(PARTIAL_KEY) !== undefined;
  }

  static async begin(db: Db): Promise<SnapshotWriter> {
    const head = new BlockStore(db).readHead();
    if (head !== null && head.height > 0 && !SnapshotWriter.isPartial(db))
      throw new MedchainError(SnapshotErrorCode.BAD_REQUEST, { reason: 'not a fresh node', height: head.height });
    await db.put(PARTIAL_KEY, new Uint8Array(0), { sync: true });
    const v = new Uint8Array([Prefix.VALUE]);
    await db.clear({ gte: v, lt: prefixEnd(v) });
    return new SnapshotWriter(db);
  }

  async write(chunk: VerifiedChunk): Promise<void> {
    const ops: BatchOp[] = [];
    for (const [h, bytes] of chunk.nodes) ops.push({ type: 'put', key: dbKey(Prefix.NODE, h), value: bytes });
    for (const [k, value] of chunk.values) ops.push({ type: 'put', key: dbKey(Prefix.VALUE, k), value });
    await this.db.batch(ops);
  }

  /** Makes the snapshot the node's head: what ChainState.open resumes from. */
  async finish(header: Header, block: Uint8Array, cert: Uint8Array, replay: readonly ReplayEntry[]): Promise<void> {
    const hash = headerHash(header);
    const h = u64be(header.height);
    const ops: BatchOp[] = [
      { type: 'put', key: dbKey(Prefix.BLOCK, h), value: block },
      { type: 'put', key: dbKey(Prefix.BLOCK_HASH, hash), value: h },
      { type: 'put', key: dbKey(Prefix.CERT, h), value: cert },
      { type: 'put', key: EARLIEST_KEY, value: h },
    ];
    for (const r of replay)
      ops.push({ type: 'put', key: dbKey(Prefix.REPLAY, u64be(r.expiresAt), r.hash), value: new Uint8Array(0) });
    ops.push({ type: 'del', key: PARTIAL_KEY });
    ops.push(headOp({ height: header.height, hash, time: header.time, stateRoot: header.stateRoot }));
    await this.db.batch(ops, { sync: true });
  }
}
