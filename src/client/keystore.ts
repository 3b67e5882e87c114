/**
 * Encrypted key files: the ed25519 secret key sealed with XChaCha20-Poly1305 under a key derived
 * from a password with scrypt (OpenSSL's in Node, noble's in browsers: the same bytes, so browsers
 * and wallets read the same files). The AEAD's associated data binds the public metadata (name, id, public key),
 * so a file whose metadata was edited does not decrypt.
 */

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import * as ed from '@noble/ed25519';
import { randomBytes } from '@noble/hashes/utils.js';
import { scrypt } from '#crypto-platform';
import { MedchainError } from '../errors.js';
import { hex, unhex } from './client.js';
import { type Account, accountFromSecret } from './tx.js';

export const KeystoreErrorCode = {
  BAD_PASSWORD: 'KEYSTORE_BAD_PASSWORD',
  BAD_FILE: 'KEYSTORE_BAD_FILE',
  /** Refused at creation: a scrypt cost a GPU guesses through cheaply (or one too costly to open). */
  WEAK_PARAMS: 'KEYSTORE_WEAK_PARAMS',
} as const;

export interface KeystoreFile {
  version: 1;
  name: string;
  /** Identity id (0x hex). */
  id: string;
  publicKey: string;
  crypto: {
    kdf: 'scrypt';
    kdfparams: { N: number; r: number; p: number; dkLen: 32; salt: string };
    cipher: 'xchacha20-poly1305';
    nonce: string;
    ciphertext: string;
  };
}

export interface ScryptParams {
  /** CPU/memory cost, a power of two. Default 2^17 (~128 MiB, a few hundred ms). */
  N: number;
  r: number;
  p: number;
}
export const defaultScrypt: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** Bounds on what a file may ask for, so a crafted file cannot make us allocate gigabytes. */
const MAX_N = 2 ** 20;
/** The weakest cost a new key file may get: 2^14 with r = 8 (16 MiB per guess), the classic floor. */
export const MIN_SCRYPT_N = 2 ** 14;

/** Refuses scrypt parameters too weak (or too costly) for a new key file: KEYSTORE_WEAK_PARAMS. */
export function checkScrypt(p: ScryptParams): void {
  const ok =
    Number.isInteger(p.N) &&
    p.N >= MIN_SCRYPT_N &&
    p.N <= MAX_N &&
    (p.N & (p.N - 1)) === 0 &&
    Number.isInteger(p.r) &&
    p.r >= 8 &&
    p.r <= 32 &&
    Number.isInteger(p.p) &&
    p.p >= 1 &&
    p.p <= 16;
  if (!ok) throw new MedchainError(KeystoreErrorCode.WEAK_PARAMS, { N: p.N, r: p.r, p: p.p, minN: MIN_SCRYPT_N });
}

const enc = new TextEncoder();
const aad = (f: Pick<KeystoreFile, 'name' | 'id' | 'publicKey'>): Uint8Array =>
  enc.encode(JSON.stringify(['medchain-keystore-v1', f.name, f.id, f.publicKey]));

const deriveKey = (password: string, salt: Uint8Array, p: ScryptParams): Promise<Uint8Array> =>
  scrypt(enc.encode(password.normalize('NFKC')), salt, { N: p.N, r: p.r, p: p.p, dkLen: 32 });

/** Seals an account's secret key under a password. */
export async function encryptKey(
  account: Account,
  password: string,
  name: string,
  params: ScryptParams = defaultScrypt,
): Promise<KeystoreFile> {
  checkScrypt(params);
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const meta = { name, id: hex(account.id), publicKey: hex(account.publicKey) };
  const key = await deriveKey(password, salt, params);
  const ciphertext = xchacha20poly1305(key, nonce, aad(meta)).encrypt(account.secretKey);
  key.fill(0);
  return {
    version: 1,
    ...meta,
    crypto: {
      kdf: 'scrypt',
      kdfparams: { N: params.N, r: params.r, p: params.p, dkLen: 32, salt: hex(salt) },
      cipher: 'xchacha20-poly1305',
      nonce: hex(nonce),
      ciphertext: hex(ciphertext),
    },
  };
}

function checkFile(f: unknown): asserts f is KeystoreFile {
  const k = f as KeystoreFile;
  const ok =
    typeof k === 'object' &&
    k !== null &&
    k.version === 1 &&
    typeof k.name === 'string' &&
    typeof k.id === 'string' &&
    typeof k.publicKey === 'string' &&
    k.crypto?.kdf === 'scrypt' &&
    k.crypto.cipher === 'xchacha20-poly1305' &&
    Number.isInteger(k.crypto.kdfparams?.N) &&
    k.crypto.kdfparams.N >= 2 &&
    k.crypto.kdfparams.N <= MAX_N &&
    (k.crypto.kdfparams.N & (k.crypto.kdfparams.N - 1)) === 0 &&
    Number.isInteger(k.crypto.kdfparams.r) &&
    k.crypto.kdfparams.r >= 1 &&
    k.crypto.kdfparams.r <= 32 &&
    Number.isInteger(k.crypto.kdfparams.p) &&
    k.crypto.kdfparams.p >= 1 &&
    k.crypto.kdfparams.p <= 16;
  if (!ok) throw new MedchainError(KeystoreErrorCode.BAD_FILE);
}

/** Opens a key file; a wrong password (or edited metadata) throws KEYSTORE_BAD_PASSWORD. */
export async function decryptKey(file: unknown, password: string): Promise<Account> {
  checkFile(file);
  const c = file.crypto;
  let key: Uint8Array;
  let sk: Uint8Array;
  try {
    key = await deriveKey(password, unhex(c.kdfparams.salt), c.kdfparams);
  } catch {
    throw new MedchainError(KeystoreErrorCode.BAD_FILE);
  }
  try {
    sk = xchacha20poly1305(key, unhex(c.nonce), aad(file)).decrypt(unhex(c.ciphertext));
  } catch {
    throw new MedchainError(KeystoreErrorCode.BAD_PASSWORD);
  } finally {
    key.fill(0);
  }
  const account = accountFromSecret(sk, file.id);
  if (hex(ed.getPublicKey(sk)) !== file.publicKey.toLowerCase()) throw new MedchainError(KeystoreErrorCode.BAD_FILE);
  return account;
}
