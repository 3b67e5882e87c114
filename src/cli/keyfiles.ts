/** Key files on disk (one encrypted JSON file per name), password input, and `@name` id references. */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { hex, unhex } from '../client/client.js';
import { decryptKey, encryptKey, KeystoreErrorCode, type KeystoreFile, type ScryptParams } from '../client/keystore.js';
import type { Account } from '../client/tx.js';
import { isCoded } from '../errors.js';
import { CliError, Exit, type GlobalOpts, usage } from './output.js';

export const defaultKeystoreDir = (): string =>
  process.env.MEDCHAIN_KEYSTORE ?? join(homedir(), '.medchain', 'keystore');

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export function checkName(name: string): string {
  if (!NAME.test(name)) throw usage('key names are 1-64 letters, digits, ".", "_" or "-"');
  return name;
}

const fileOf = (g: GlobalOpts, name: string): string => join(resolve(g.keystore), `${checkName(name)}.json`);

export async function readKeyFile(g: GlobalOpts, name: string): Promise<KeystoreFile> {
  try {
    return JSON.parse(await readFile(fileOf(g, name), 'utf8')) as KeystoreFile;
  } catch {
    throw new CliError(
      `no key named ${name} in ${g.keystore}: see \`medchain keys list\`, or create it with \`medchain keys new ${name}\``,
      Exit.KEY,
    );
  }
}

export async function listKeyFiles(g: GlobalOpts): Promise<KeystoreFile[]> {
  let names: string[];
  try {
    names = (await readdir(resolve(g.keystore))).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: KeystoreFile[] = [];
  for (const f of names) {
    try {
      out.push(JSON.parse(await readFile(join(resolve(g.keystore), f), 'utf8')) as KeystoreFile);
    } catch {
      // not a key file
    }
  }
  return out;
}

export async function writeKeyFile(
  g: GlobalOpts,
  account: Account,
  name: string,
  password: string,
  scrypt?: ScryptParams,
  overwrite = false,
): Promise<KeystoreFile> {
  const file = fileOf(g, name);
  await mkdir(resolve(g.keystore), { recursive: true, mode: 0o700 });
  const k = await encryptKey(account, password, name, scrypt);
  // wx: never overwrite a key unless asked to (import-devnet --force).
  try {
    await writeFile(file, `${JSON.stringify(k, null, 2)}\n`, { mode: 0o600, flag: overwrite ? 'w' : 'wx' });
  } catch {
    throw usage(`a key named ${name} already exists in ${g.keystore}: pick another name (keys are never overwritten)`);
  }
  await chmod(file, 0o600);
  return k;
}

/** The password: --password-file, else MEDCHAIN_PASSWORD, else a hidden prompt on a terminal. */
export async function password(g: GlobalOpts, prompt = 'Password: ', confirm = false): Promise<string> {
  if (g.passwordFile !== undefined) {
    try {
      return (await readFile(g.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch {
      throw new CliError('cannot read --password-file', Exit.KEY);
    }
  }
  if (process.env.MEDCHAIN_PASSWORD !== undefined) return process.env.MEDCHAIN_PASSWORD;
  if (!process.stdin.isTTY)
    throw usage('no password: use --password-file or MEDCHAIN_PASSWORD (stdin is not a terminal)');
  const p = await ask(prompt);
  if (confirm && (await ask('Repeat: ')) !== p) throw usage('passwords differ');
  return p;
}

function ask(prompt: string): Promise<string> {
  return new Promise((resolvePw) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let s = '';
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolvePw(s);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') s = s.slice(0, -1);
        else s += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Opens a named key (asks for its password). */
export async function openKey(g: GlobalOpts, name: string): Promise<Account> {
  const file = await readKeyFile(g, name);
  try {
    return await decryptKey(file, await password(g, `Password for ${name}: `));
  } catch (err) {
    if (isCoded(err, KeystoreErrorCode.BAD_PASSWORD))
      throw new CliError(
        `wrong password for key ${name} (${fileOf(g, name)}): check --password-file or MEDCHAIN_PASSWORD`,
        Exit.KEY,
      );
    if (isCoded(err, KeystoreErrorCode.BAD_FILE))
      throw new CliError(`key file ${fileOf(g, name)} is damaged or not a MedChain key file`, Exit.KEY);
    throw err;
  }
}

/** The short form tables print (`0x1234abcd…a1b2c3`, or with "..."): prefix and suffix. */
const SHORT_ID = /^(0x[0-9a-fA-F]{4,62})(?:…|\.\.\.)([0-9a-fA-F]{4,62})$/;

/**
 * An id argument: 0x hex; `@name` for the id of a key in the keystore (no password needed); or a
 * short form a table printed, when exactly one identity in the keystore matches it.
 */
export async function idArg(g: GlobalOpts, v: string): Promise<string> {
  if (v.startsWith('@')) return (await readKeyFile(g, v.slice(1))).id;
  const s = SHORT_ID.exec(v);
  if (s !== null) {
    const [pre, suf] = [(s[1] as string).toLowerCase(), (s[2] as string).toLowerCase()];
    const hits = (await listKeyFiles(g)).filter((k) => {
      const id = k.id.toLowerCase();
      return id.length === 66 && id.startsWith(pre) && id.endsWith(suf);
    });
    if (hits.length === 1) return (hits[0] as KeystoreFile).id;
    throw usage(
      hits.length === 0
        ? `${v} matches no identity in the keystore: give the full 0x id (--json prints full ids) or @name`
        : `${v} matches several identities in the keystore: give the full 0x id or @name`,
    );
  }
  try {
    const b = unhex(v);
    if (b.length !== 32) throw new Error();
    return hex(b);
  } catch {
    throw usage(`expected a 32-byte 0x id or @keyname, got ${v.slice(0, 80)}`);
  }
}
