import { createHash } from 'node:crypto';
import type { Db } from '../../state/store/db.js';
import { toHex } from '../codec/bytes.js';
import { NODE_VERSION } from '../version.js';
import {
  type BackupManifest,
  decodeHeadRecord,
  END,
  GENESIS_KEY,
  genesisChainId,
  HEAD_KEY,
  MAGIC,
  u32,
} from './backup-format.js';

/** Where backup bytes go; resolves when the sink can take more (backpressure). */
export type Sink = (chunk: Uint8Array) => Promise<void>;

const CHUNK_BYTES = 1024 * 1024;
const ENTRIES_PER_READ = 1000;

/**
 * Streams a consistent copy of a running node's LevelDB. One explicit snapshot fixes the view:
 * every block is one atomic batch, so the snapshot holds whole blocks only, up to the head it
 * names, and commits and pruning sweeps after it are invisible (a sweep deletes only nodes that
 * no root of the last keepBlocks heights reaches, never the head's). The node keeps committing.
 */
export async function writeBackup(db: Db, sink: Sink, signal?: AbortSignal): Promise<BackupManifest> {
  const snapshot = db.snapshot();
  try {
    const headBytes = await db.get(HEAD_KEY, { snapshot });
    const genesisBytes = await db.get(GENESIS_KEY, { snapshot });
    if (headBytes === undefined || genesisBytes === undefined) throw new Error('database has no head');
    const head = decodeHeadRecord(headBytes);
    const chainId = genesisChainId(genesisBytes);
    const hash = createHash('sha256');
    let buf: Uint8Array[] = [];
    let bufBytes = 0;
    const push = async (b: Uint8Array, force = false): Promise<void> => {
      if (b.length > 0) {
        hash.update(b);
        buf.push(b);
        bufBytes += b.length;
      }
      if (bufBytes >= CHUNK_BYTES || (force && bufBytes > 0)) {
        const out = Buffer.concat(buf);
        buf = [];
        bufBytes = 0;
        await sink(out);
      }
    };
    await push(MAGIC);
    let entries = 0;
    const it = db.iterator({ snapshot });
    try {
      for (;;) {
        if (signal?.aborted) throw new Error('backup aborted');
        const batch = await it.nextv(ENTRIES_PER_READ);
        if (batch.length === 0) break;
        for (const [k, v] of batch) {
          await push(u32(k.length));
          await push(k);
          await push(u32(v.length));
          await push(v);
          entries++;
        }
      }
    } finally {
      await it.close();
    }
    const manifest: BackupManifest = {
      format: 1,
      chainId,
      genesisHash: toHex(createHash('sha256').update(genesisBytes).digest()),
      height: head.height,
      headHash: toHex(head.hash),
      stateRoot: toHex(head.stateRoot),
      headTime: head.time,
      entries,
      sha256: '',
      nodeVersion: NODE_VERSION,
      createdAt: new Date().toISOString(),
    };
    await push(new Uint8Array(0), true);
    manifest.sha256 = hash.digest('hex');
    const m = new TextEncoder().encode(JSON.stringify(manifest));
    await sink(Buffer.concat([u32(END), u32(m.length), m]));
    return manifest;
  } finally {
    await snapshot.close();
  }
}
