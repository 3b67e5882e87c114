import type { AbstractSnapshot } from 'abstract-level';
import { encodeValidators, type Validator } from '../../src/chain/validators.js';
import { equal, u64be } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { decodeHead, HEAD_KEY, type Head } from '../block-store.js';
import { decodeInner, EMPTY_ROOT } from '../smt/node.js';
import { type Db, dbKey, Prefix } from '../store/db.js';
import { encodeChunk, MAX_CHUNK_NODES, MAX_CHUNK_ROOTS, SnapshotErrorCode } from './chunk.js';
import { encodeManifest } from './manifest.js';

export interface SnapshotServerOptions {
  /** A manifest request reuses the newest held snapshot while it is younger than this. */
  refreshMs: number;
  /** A snapshot no chunk request has touched for this long is released (LevelDB keeps old data for it). */
  idleMs: number;
  maxSnapshots: number;
  /** Response budget of one chunk: the walk stops before exceeding it (the first node always goes). */
  maxChunkBytes: number;
}

export const defaultSnapshotServerOptions: SnapshotServerOptions = {
  refreshMs: 60_000,
  idleMs: 120_000,
  maxSnapshots: 2,
  maxChunkBytes: 1024 * 1024,
};

export interface SnapshotServerDeps {
  db: Db;
  /** The in-memory head and the set that signed it, read together. */
  head(): Head;
  headValidators(): readonly Validator[];
  now(): number;
}

interface Held {
  height: number;
  snap: AbstractSnapshot;
  manifest: Uint8Array;
  created: number;
  used: number;
}

/**
 * Serves the state at a recent committed height from an explicit LevelDB
 * snapshot, so every chunk of one join reads the same version even while the
 * node keeps committing and pruning. Few snapshots, released when idle.
 */
export class SnapshotServer {
  private held: Held[] = [];

  constructor(
    private readonly d: SnapshotServerDeps,
    private readonly opts: SnapshotServerOptions = defaultSnapshotServerOptions,
  ) {}

  /** The manifest of the newest snapshot: [height, block, certificate, validators that signed it]. */
  async manifest(): Promise<Uint8Array> {
    await this.expire();
    const now = this.d.now();
    const newest = this.held[this.held.length - 1];
    if (newest !== undefined && now - newest.created < this.opts.refreshMs) {
      newest.used = now;
      return newest.manifest;
    }
    const h = await this.take();
    this.held.push(h);
    while (this.held.length > this.opts.maxSnapshots) await (this.held.shift() as Held).snap.close();
    return h.manifest;
  }

  /** Up to the byte budget of the trees below `roots`, breadth first, with the values of their leaves. */
  async chunk(height: number, roots: readonly Uint8Array[]): Promise<Uint8Array> {
    const h = this.held.find((x) => x.height === height);
    if (h === undefined) throw new MedchainError(SnapshotErrorCode.UNAVAILABLE, { height });
    h.used = this.d.now();
    const opts = { snapshot: h.snap };
    const nodes: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let bytes = 16;
    let queue: Uint8Array[] = roots.slice(0, MAX_CHUNK_ROOTS);
    while (queue.length > 0 && nodes.length < MAX_CHUNK_NODES) {
      const batch = queue.slice(0, Math.min(256, MAX_CHUNK_NODES - nodes.length));
      queue = queue.slice(batch.length);
      const found = await this.d.db.getMany(
        batch.map((x) => dbKey(Prefix.NODE, x)),
        opts,
      );
      const decoded = found.map((b, i) => (b === undefined ? undefined : decodeInner(batch[i] as Uint8Array, b)));
      const leafKeys: Uint8Array[] = [];
      for (const n of decoded)
        for (const c of n?.children ?? []) if (c?.kind === 1) leafKeys.push(dbKey(Prefix.VALUE, c.keyHash));
      const leafValues = await this.d.db.getMany(leafKeys, opts);
      let v = 0;
      for (let i = 0; i < batch.length; i++) {
        const n = decoded[i];
        const b = found[i];
        if (n === undefined || b === undefined) throw new MedchainError(SnapshotErrorCode.UNAVAILABLE, { height });
        const mine: Uint8Array[] = [];
        const children: Uint8Array[] = [];
        for (const c of n.children) {
          if (c === undefined) continue;
          if (c.kind !== 1) children.push(c.hash);
          else {
            const value = leafValues[v++];
            if (value === undefined) throw new MedchainError(SnapshotErrorCode.UNAVAILABLE, { height });
            mine.push(value);
          }
        }
        const size = b.length + 8 + mine.reduce((s, x) => s + x.length + 8, 0);
        if (nodes.length > 0 && bytes + size > this.opts.maxChunkBytes) return encodeChunk(nodes, values);
        bytes += size;
        nodes.push(b);
        values.push(...mine);
        queue.push(...children);
      }
    }
    return encodeChunk(nodes, values);
  }

  async close(): Promise<void> {
    for (const h of this.held.splice(0)) await h.snap.close();
  }

  private async expire(): Promise<void> {
    const now = this.d.now();
    const keep: Held[] = [];
    for (const h of this.held) {
      if (now - h.used > this.opts.idleMs) await h.snap.close();
      else keep.push(h);
    }
    this.held = keep;
  }

  /**
   * A snapshot whose stored head is the in-memory head: memory advances only
   * after a block's batch is durable, so a mismatch means a commit landed in
   * between, and we take another (bounded).
   */
  private async take(): Promise<Held> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const head = this.d.head();
      const validators = this.d.headValidators();
      const snap = this.d.db.snapshot();
      const opts = { snapshot: snap };
      const bytes = await this.d.db.get(HEAD_KEY, opts);
      const stored = bytes === undefined ? null : decodeHead(bytes);
      if (stored === null || stored.height !== head.height || !equal(stored.hash, head.hash)) {
        await snap.close();
        continue;
      }
      if (head.height === 0 || equal(head.stateRoot, EMPTY_ROOT)) {
        await snap.close();
        throw new MedchainError(SnapshotErrorCode.UNAVAILABLE, { height: head.height });
      }
      const hb = u64be(head.height);
      const [block, cert] = await this.d.db.getMany([dbKey(Prefix.BLOCK, hb), dbKey(Prefix.CERT, hb)], opts);
      if (block === undefined || cert === undefined) {
        await snap.close();
        throw new MedchainError(SnapshotErrorCode.UNAVAILABLE, { height: head.height });
      }
      const now = this.d.now();
      return {
        height: head.height,
        snap,
        manifest: encodeManifest({ height: head.height, block, cert, validators: encodeValidators(validators) }),
        created: now,
        used: now,
      };
    }
    throw new MedchainError(SnapshotErrorCode.BUSY);
  }
}
