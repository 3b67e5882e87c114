/** `medchain keys new|list|show|import|import-devnet`: encrypted key files for signing transactions. */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { hex } from '../client/client.js';
import { checkScrypt, defaultScrypt, MIN_SCRYPT_N } from '../client/keystore.js';
import { accountFromSecret, generateAccount } from '../client/tx.js';
import { listKeyFiles, openKey, password, readKeyFile, writeKeyFile } from './keyfiles.js';
import { CliError, Exit, emit, fields, globals, table, usage } from './output.js';

/** The keystore's own rule (KEYSTORE_WEAK_PARAMS), checked while parsing so usage errors exit 2. */
export const scryptN = (v: string): number => {
  const n = Number(v);
  try {
    checkScrypt({ ...defaultScrypt, N: n });
  } catch {
    throw new InvalidArgumentError(`KEYSTORE_WEAK_PARAMS: a power of two from ${MIN_SCRYPT_N} (2^14) to 2^20`);
  }
  return n;
};

/**
 * The default cost of new key files: MEDCHAIN_SCRYPT_N (as geth's --lightkdf: scripts and test
 * harnesses that make many throwaway keys), checked like --scrypt-n, else 2^17.
 */
function defaultN(): number {
  const v = process.env.MEDCHAIN_SCRYPT_N;
  if (v === undefined || v === '') return defaultScrypt.N;
  try {
    return scryptN(v);
  } catch (err) {
    throw usage(`MEDCHAIN_SCRYPT_N: ${(err as Error).message}`);
  }
}

const publicView = (k: { name: string; id: string; publicKey: string }) => ({
  name: k.name,
  id: k.id,
  publicKey: k.publicKey,
});

export function keysCommand(program: Command): void {
  const keys = program.command('keys');

  keys
    .command('new')
    .description('generate a new ed25519 key and store it encrypted under a password')
    .argument('<name>', 'key name (file <keystore>/<name>.json)')
    .option('--scrypt-n <n>', 'scrypt cost (power of two)', scryptN, defaultN())
    .action(async (name: string, o: { scryptN: number }, cmd: Command) => {
      const g = globals(cmd);
      const pw = await password(g, 'New password: ', true);
      const k = await writeKeyFile(g, generateAccount(), name, pw, { ...defaultScrypt, N: o.scryptN });
      emit(g, publicView(k), () => fields(publicView(k)));
    });

  keys
    .command('import')
    .description('store an existing secret key (32 bytes, hex, read from a file) encrypted under a password')
    .argument('<name>', 'key name')
    .requiredOption('--secret-file <file>', 'file holding the secret key as hex')
    .option('--id <id>', 'identity id, when the key was rotated in (default: the id its first registration gets)')
    .option('--scrypt-n <n>', 'scrypt cost (power of two)', scryptN, defaultN())
    .action(async (name: string, o: { secretFile: string; id?: string; scryptN: number }, cmd: Command) => {
      const g = globals(cmd);
      let text: string;
      try {
        text = (await readFile(o.secretFile, 'utf8')).trim();
      } catch {
        throw new CliError(
          `cannot read the secret key file ${o.secretFile}: it holds the organization's identity secret key ` +
            '(32 bytes as hex, from your key ceremony; its public key is the one genesis names). ' +
            'On a devnet, `medchain keys import-devnet` imports the hospitals’ keys instead',
          Exit.KEY,
        );
      }
      let account: ReturnType<typeof accountFromSecret>;
      try {
        account = accountFromSecret(text, o.id);
        if (account.secretKey.length !== 32 || account.id.length !== 32) throw new Error();
      } catch {
        throw usage('the secret file must hold a 32-byte key as hex');
      }
      const k = await writeKeyFile(g, account, name, await password(g, 'New password: ', true), {
        ...defaultScrypt,
        N: o.scryptN,
      });
      emit(g, publicView(k), () => fields(publicView(k)));
    });

  keys
    .command('import-devnet')
    .description("import the devnet's organization keys as hospital-a, hospital-b, ... (for trying things out)")
    .option('--home <dir>', 'devnet directory', 'data/devnet')
    .option('--scrypt-n <n>', 'scrypt cost (power of two)', scryptN, defaultN())
    .option('--force', 'replace hospital keys left from another devnet (after `npm run devnet -- --fresh`)', false)
    .action(async (o: { home: string; scryptN: number; force: boolean }, cmd: Command) => {
      const g = globals(cmd);
      // The devnet launcher's module (node config code) only for this subcommand.
      const { readDevnet } = await import('./devnet.js');
      let m: Awaited<ReturnType<typeof readDevnet>>;
      try {
        m = await readDevnet(o.home);
      } catch {
        throw usage(`no devnet in ${o.home}: start one first (npm start), or give --home`);
      }
      const accounts = m.nodes.map((n, i) => ({
        name: `hospital-${String.fromCharCode(97 + i)}`,
        account: accountFromSecret(n.orgSecretKey),
      }));
      // The keystore is tied to the chain its keys came from: a key of the same name from another
      // devnet is an error with a way forward, never silently kept (its identity does not exist here).
      const existing = new Map((await listKeyFiles(g)).map((k) => [k.name, k.publicKey]));
      const stale = accounts.filter(
        (a) => existing.has(a.name) && existing.get(a.name) !== hex(a.account.publicKey).toLowerCase(),
      );
      if (stale.length > 0 && !o.force)
        throw usage(
          `${stale.map((a) => a.name).join(', ')} in ${g.keystore} belong to another devnet (was it started with --fresh?): ` +
            're-run with --force to replace them with this devnet’s keys',
        );
      const pw = await password(g, 'New password: ', true);
      const out: (ReturnType<typeof publicView> & { status: string })[] = [];
      for (const a of accounts) {
        const same = existing.get(a.name) === hex(a.account.publicKey).toLowerCase();
        if (same) {
          out.push({ ...publicView(await readKeyFile(g, a.name)), status: 'already imported' });
          continue;
        }
        const k = await writeKeyFile(g, a.account, a.name, pw, { ...defaultScrypt, N: o.scryptN }, o.force);
        out.push({ ...publicView(k), status: existing.has(a.name) ? 'replaced' : 'imported' });
      }
      emit(g, out, () =>
        table(
          ['NAME', 'ID', 'PUBLIC KEY', 'STATUS'],
          out.map((k) => [k.name, k.id, k.publicKey, k.status]),
        ),
      );
    });

  keys
    .command('list')
    .description('list the keys in the keystore (names, identity ids, public keys; no password needed)')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const list = (await listKeyFiles(g)).map(publicView);
      emit(g, list, () =>
        list.length === 0
          ? `no keys in ${g.keystore}`
          : table(
              ['NAME', 'ID', 'PUBLIC KEY'],
              list.map((k) => [k.name, k.id, k.publicKey]),
            ),
      );
    });

  keys
    .command('show')
    .description('show a key: its identity id and public key; --check also decrypts it to test the password')
    .argument('<name>', 'key name')
    .option('--check', 'decrypt the key (asks for the password)', false)
    .action(async (name: string, o: { check: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const k = await readKeyFile(g, name);
      if (o.check) {
        const a = await openKey(g, name);
        if (hex(a.publicKey) !== k.publicKey) throw usage('key file does not match its public key');
      }
      const v = {
        ...publicView(k),
        kdf: `scrypt N=${k.crypto.kdfparams.N} r=${k.crypto.kdfparams.r} p=${k.crypto.kdfparams.p}`,
        cipher: k.crypto.cipher,
      };
      emit(g, o.check ? { ...v, passwordOk: true } : v, () => fields(o.check ? { ...v, password: 'ok' } : v));
    });
}
