import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { fromHex, toHex } from '../src/codec/bytes.js';
import { P2pError, P2pErrorCode } from './errors.js';

export const PEER_KEY_FILE = 'p2p-key';

/**
 * The node's libp2p identity: an Ed25519 key from a 32-byte seed kept in
 * `<dir>/p2p-key` (hex), so the peer id, which allowlists name, survives
 * restarts. `privateKeyFromRaw(seed)` would give a secp256k1 key and another
 * peer id (docs/ARCHITECTURE.md, platform facts), hence `generateKeyPairFromSeed('Ed25519', ...)`.
 */
export async function loadOrCreatePeerKey(dir: string): Promise<Ed25519PrivateKey> {
  const file = join(dir, PEER_KEY_FILE);
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) return generateKeyPairFromSeed('Ed25519', parseSeed(text));
  const seed = new Uint8Array(randomBytes(32));
  await mkdir(dir, { recursive: true });
  // Write then rename: a crash never leaves a half-written key behind.
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${toHex(seed)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return generateKeyPairFromSeed('Ed25519', seed);
}

function parseSeed(text: string): Uint8Array {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new P2pError(P2pErrorCode.BAD_PEER_KEY, { file: PEER_KEY_FILE });
  return fromHex(hex);
}

/** A fresh identity that lives only as long as the process (tests, benches, `dataDir: null`). */
export function ephemeralPeerKey(): Promise<Ed25519PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', new Uint8Array(randomBytes(32)));
}
