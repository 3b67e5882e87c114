import { dbKey, Prefix } from '../../state/store/db.js';
import { utf8 } from '../codec/bytes.js';
import { asBytes, asString, asTuple, asUint, decodeCanonical } from '../codec/cbor.js';

/**
 * A backup is one file: MAGIC, then every LevelDB entry of one snapshot in key order as frames
 * `u32 keyLen | key | u32 valueLen | value`, then END, `u32 length` and the manifest as JSON. The
 * manifest's sha256 covers every byte before END, so a restore detects truncation and corruption.
 */
export const MAGIC = new TextEncoder().encode('MCBAK001');
export const END = 0xffffffff;
/** Bounds for a reader of an untrusted file. */
export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 512 * 1024 * 1024;
export const MAX_MANIFEST_BYTES = 64 * 1024;

export interface BackupManifest {
  format: 1;
  chainId: string;
  genesisHash: string;
  /** The head when the snapshot was taken: final (BFT), so the backup is at a finalized height. */
  height: number;
  headHash: string;
  stateRoot: string;
  headTime: number;
  entries: number;
  /** sha256 (hex) of every byte before the END marker. */
  sha256: string;
  nodeVersion: string;
  createdAt: string;
}

export const HEAD_KEY = dbKey(Prefix.META, utf8('head'));
export const GENESIS_KEY = dbKey(Prefix.META, utf8('genesis'));

/** The head record as block-store writes it: [height, hash, time, stateRoot]. */
export function decodeHeadRecord(b: Uint8Array): {
  height: number;
  hash: Uint8Array;
  time: number;
  stateRoot: Uint8Array;
} {
  const [height, hash, time, root] = asTuple(decodeCanonical(b, 256), 4, 'head');
  return {
    height: asUint(height, 'head.height'),
    hash: asBytes(hash, 'head.hash', 32),
    time: asUint(time, 'head.time'),
    stateRoot: asBytes(root, 'head.root', 32),
  };
}

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** The chain id: the first field of the stored genesis encoding. */
export function genesisChainId(genesisBytes: Uint8Array): string {
  const t = decodeCanonical(genesisBytes, 16 * 1024 * 1024) as unknown[];
  return asString(t[0], 'genesis.chainId', 64);
}
