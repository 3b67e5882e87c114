/**
 * The browser's keyring: keystore files in the CLI's format (scrypt + XChaCha20-Poly1305), kept
 * in localStorage exactly as imported or created, so only ciphertext is ever stored. A key is
 * decrypted into memory at sign-in and never written anywhere in clear.
 */
import {
  type Account,
  decryptKey,
  defaultScrypt,
  encryptKey,
  generateAccount,
  type KeystoreFile,
  type ScryptParams,
} from '../client/index.js';
import { download } from './download.js';

const STORE = 'medchain.keystores';
/** Larger inputs are not keystore files; refuse before parsing. */
const MAX_FILE_BYTES = 16 * 1024;

export function storedKeys(): KeystoreFile[] {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as KeystoreFile[]) : [];
  } catch {
    return [];
  }
}

function save(list: KeystoreFile[]): void {
  localStorage.setItem(STORE, JSON.stringify(list));
}

/** Keeps a file (replacing one of the same identity and name). */
export function storeKey(f: KeystoreFile): void {
  save([...storedKeys().filter((k) => !(k.id === f.id && k.name === f.name)), f]);
}

export function forgetKey(f: KeystoreFile): void {
  save(storedKeys().filter((k) => !(k.id === f.id && k.name === f.name)));
}

/** Parses and opens an imported file: a wrong password or a damaged file throws (coded). */
export async function importKey(text: string, password: string): Promise<{ file: KeystoreFile; account: Account }> {
  if (text.length > MAX_FILE_BYTES) throw new Error('This file is too large to be a MedChain key file.');
  let file: KeystoreFile;
  try {
    file = JSON.parse(text) as KeystoreFile;
  } catch {
    throw new Error('This is not a MedChain key file (not JSON).');
  }
  const account = await decryptKey(file, password);
  return { file, account };
}

export async function newKey(
  name: string,
  password: string,
  params: ScryptParams = defaultScrypt,
): Promise<{ file: KeystoreFile; account: Account }> {
  const account = generateAccount();
  return { file: await encryptKey(account, password, name, params), account };
}

/** Saves a file to disk: the CLI uses it as is once copied into its keystore directory as <name>.json. */
export function downloadKey(f: KeystoreFile): void {
  download(`${f.name}.json`, 'application/json', `${JSON.stringify(f, null, 2)}\n`);
}
