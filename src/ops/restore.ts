import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BatchOp, openDb } from '../../state/store/db.js';
import { equal, toHex } from '../codec/bytes.js';
import { MedchainError } from '../errors.js';
import {
  type BackupManifest,
  decodeHeadRecord,
  END,
  HEAD_KEY,
  MAGIC,
  MAX_KEY_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_VALUE_BYTES,
} from './backup-format.js';

export const RestoreErrorCode = {
  BAD_FILE: 'RESTORE_BAD_FILE',
  DIGEST_MISMATCH: 'RESTORE_DIGEST_MISMATCH',
  HEAD_MISMATCH: 'RESTORE_HEAD_MISMATCH',
  DB_EXISTS: 'RESTORE_DB_EXISTS',
} as const;

const BATCH_BYTES = 8 * 1024 * 1024;

/** Sequential reads of exact lengths from a file, through one reused buffer. */
class FileReader {
  private buf = Buffer.alloc(1024 * 1024);
  private start = 0;
  private end = 0;
  private pos = 0;
  constructor(private readonly fh: FileHandle) {}

  async read(n: number): Promise<Uint8Array> {
    if (this.end - this.start < n) await this.fill(n);
    const out = Uint8Array.prototype.slice.call(this.buf, this.start, this.start + n);
    this.start += n;
    return out;
  }

  async u32(): Promise<number> {
    const b = await this.read(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }

  private async fill(n: number): Promise<void> {
    const have = this.end - this.start;
    if (this.buf.length < n) {
      const bigger = Buffer.alloc(n);
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    } else this.buf.copy(this.buf, 0, this.start, this.end);
    this.start = 0;
    this.end = have;
    while (this.end < n) {
      const { bytesRead } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.pos);
      if (bytesRead === 0) throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'truncated' });
      this.pos += bytesRead;
      this.end += bytesRead;
    }
  }
}

/**
 * Rebuilds `<home>/db` from a backup file. Entries go into a temporary database that becomes
 * `db` (one rename) only after the digest, the entry count and the head all match the manifest:
 * a failed or interrupted restore leaves no half-restored database behind.
 */
export async function restoreBackup(
  file: string,
  home: string,
  opts: { force?: boolean } = {},
): Promise<BackupManifest> {
  const target = join(home, 'db');
  if (existsSync(target) && opts.force !== true) throw new MedchainError(RestoreErrorCode.DB_EXISTS, { dir: target });
  const tmp = join(home, 'db.restoring');
  await rm(tmp, { recursive: true, force: true });
  const fh = await open(file, 'r');
  let manifest: BackupManifest;
  try {
    const db = await openDb(tmp);
    try {
      manifest = await readEntries(new FileReader(fh), (ops, sync) => db.batch(ops, { sync }));
    } finally {
      await db.close();
    }
    const check = await openDb(tmp);
    try {
      const head = await check.get(HEAD_KEY);
      const h = head === undefined ? undefined : decodeHeadRecord(head);
      if (h === undefined || h.height !== manifest.height || toHex(h.stateRoot) !== manifest.stateRoot)
        throw new MedchainError(RestoreErrorCode.HEAD_MISMATCH, { height: manifest.height });
    } finally {
      await check.close();
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await fh.close();
  }
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
  return manifest;
}

/** Checks a backup file end to end (framing, digest, entry count) without writing anything. */
export async function verifyBackupFile(file: string): Promise<BackupManifest> {
  const fh = await open(file, 'r');
  try {
    return await readEntries(new FileReader(fh));
  } finally {
    await fh.close();
  }
}

type Put = (ops: BatchOp[], sync: boolean) => Promise<void>;

async function readEntries(r: FileReader, put?: Put): Promise<BackupManifest> {
  const hash = createHash('sha256');
  const magic = await r.read(MAGIC.length);
  if (!equal(magic, MAGIC)) throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'not a MedChain backup' });
  hash.update(magic);
  let ops: BatchOp[] = [];
  let opsBytes = 0;
  let entries = 0;
  for (;;) {
    const kLen = await r.u32();
    if (kLen === END) break;
    if (kLen === 0 || kLen > MAX_KEY_BYTES)
      throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'key length' });
    const key = await r.read(kLen);
    const vLen = await r.u32();
    if (vLen > MAX_VALUE_BYTES) throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'value length' });
    const value = await r.read(vLen);
    hash.update(lenBytes(kLen)).update(key).update(lenBytes(vLen)).update(value);
    entries++;
    if (put === undefined) continue;
    ops.push({ type: 'put', key, value });
    opsBytes += kLen + vLen;
    if (opsBytes >= BATCH_BYTES) {
      await put(ops, false);
      ops = [];
      opsBytes = 0;
    }
  }
  // The last batch fsyncs the log: a restore that reported success survives power loss.
  await put?.(ops, true);
  const mLen = await r.u32();
  if (mLen > MAX_MANIFEST_BYTES) throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'manifest length' });
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await r.read(mLen))) as BackupManifest;
  } catch {
    throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'manifest' });
  }
  if (manifest.format !== 1) throw new MedchainError(RestoreErrorCode.BAD_FILE, { reason: 'format' });
  if (hash.digest('hex') !== manifest.sha256 || entries !== manifest.entries)
    throw new MedchainError(RestoreErrorCode.DIGEST_MISMATCH, { entries });
  return manifest;
}

function lenBytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}
