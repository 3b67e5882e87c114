import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { DurableStore } from './store.js';

const HEADER = 8; // u32 length, u32 crc32

function frame(record: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + record.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, record.length);
  dv.setUint32(4, crc32(record));
  out.set(record, HEADER);
  return out;
}

/**
 * Append-only file store: length + crc32 framed records, fsync (fdatasync)
 * on synced appends, atomic truncate by write-new + fsync + rename + fsync
 * of the directory. A torn or corrupt tail (crash mid-write) ends the log:
 * those records were never acknowledged as durable.
 */
export class FileStore implements DurableStore {
  /** Bytes the last readAll() cut off the end (a torn or corrupt tail); 0 when the log was whole. */
  droppedTailBytes = 0;
  private fh: FileHandle | undefined;
  private readonly path: string;
  /** Serializes file operations so records never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    name = 'consensus.wal',
  ) {
    this.path = join(dir, name);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      await mkdir(this.dir, { recursive: true });
      this.fh = await open(this.path, constants.O_CREAT | constants.O_RDWR | constants.O_APPEND, 0o600);
    }
    return this.fh;
  }

  append(record: Uint8Array, sync: boolean): Promise<void> {
    return this.serial(async () => {
      const fh = await this.handle();
      await fh.write(frame(record));
      if (sync) await fh.datasync();
    });
  }

  readAll(): Promise<Uint8Array[]> {
    return this.serial(async () => {
      const fh = await this.handle();
      const { size } = await fh.stat();
      const buf = new Uint8Array(size);
      if (size > 0) await fh.read(buf, 0, size, 0);
      const out: Uint8Array[] = [];
      let off = 0;
      while (off + HEADER <= size) {
        const dv = new DataView(buf.buffer, off, HEADER);
        const len = dv.getUint32(0);
        if (off + HEADER + len > size) break;
        const rec = buf.slice(off + HEADER, off + HEADER + len);
        if (crc32(rec) !== dv.getUint32(4)) break;
        out.push(rec);
        off += HEADER + len;
      }
      this.droppedTailBytes = size - off;
      if (off < size) await fh.truncate(off); // drop the torn tail so appends follow whole records
      return out;
    });
  }

  truncate(keep: readonly Uint8Array[]): Promise<void> {
    return this.serial(async () => {
      const tmp = `${this.path}.tmp`;
      const t = await open(tmp, 'w', 0o600);
      try {
        for (const r of keep) await t.write(frame(r));
        await t.sync();
      } finally {
        await t.close();
      }
      await this.fh?.close();
      this.fh = undefined;
      await rename(tmp, this.path);
      const d = await open(this.dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.fh?.close();
      this.fh = undefined;
    });
  }
}
