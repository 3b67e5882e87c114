#!/usr/bin/env node
import './polyfill.js';
import { Command, CommanderError, Option } from 'commander';
import { defaultKeystoreDir } from './cli/keyfiles.js';
import { EXIT_HELP, Exit, fail } from './cli/output.js';

/** Registers one module's command(s) on the program; `longRunning` for those that keep serving. */
type Register = (program: Command, longRunning: () => void) => void;

/**
 * The top-level commands: what `medchain --help` lists, and the module that defines each. Only the
 * dispatched command's module is imported (a query loads no node, vault or p2p code).
 */
const commands: Record<string, [summary: string, load: () => Promise<Register>]> = {
  start: [
    'run a node from its home directory (config.json, genesis, keys, data)',
    async () => (await import('./cli/start.js')).startCommand,
  ],
  devnet: [
    'run a local devnet: one validator process per hospital on loopback (resumes from --home)',
    async () => (await import('./cli/devnet.js')).devnetCommand,
  ],
  init: [
    'create a node home directory: config.json, the p2p key and (--validator) a consensus key',
    async () => (await import('./cli/init.js')).initCommand,
  ],
  keys: [
    'manage encrypted key files (scrypt + XChaCha20-Poly1305) in the keystore directory',
    async () => (await import('./cli/keys.js')).keysCommand,
  ],
  tx: [
    'build, sign (with a keystore key), submit and wait for a transaction to be final',
    async () => (await import('./cli/tx.js')).txCommand,
  ],
  validator: [
    'join or leave the validator set: join-request (new hospital), propose and vote (validators)',
    async () => (await import('./cli/validator.js')).validatorCommand,
  ],
  status: [
    'chain id, head height and time, finalized height, sync state of the node',
    async () => (await import('./cli/query.js')).queryCommands,
  ],
  query: [
    'read identities, credentials, records, consents, access decisions, blocks and txs',
    async () => (await import('./cli/query.js')).queryCommands,
  ],
  audit: [
    "a patient's audit trail: accesses (granted and denied), emergencies, consents, records",
    async () => (await import('./cli/query.js')).queryCommands,
  ],
  backup: [
    'back up a running node at its latest final block, without stopping it (via its ops listener)',
    async () => (await import('./cli/ops.js')).opsCommands,
  ],
  restore: [
    'restore a node home from a backup (stop the node first); it then syncs the blocks since',
    async () => (await import('./cli/ops.js')).opsCommands,
  ],
  records: [
    'off-chain records at a custodian vault: store, share, open, erase, receipt, import',
    async () => {
      const [{ recordsCommand }, { recordsImportCommand }] = await Promise.all([
        import('./cli/records.js'),
        import('./cli/records-import.js'),
      ]);
      return (p) => {
        recordsCommand(p);
        recordsImportCommand(p);
      };
    },
  ],
  vault: [
    'run the custodian vault: encrypted records served under on-chain consent, shredded on erasure',
    async () => (await import('./cli/vault.js')).vaultCommand,
  ],
};

/** The command a command line dispatches to: its first operand (after `help`, the one it is about). */
function commandOf(program: Command, args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-')) return a === 'help' ? commandOf(program, args.slice(i + 1)) : a;
    // A global option's value is not an operand: `--rpc URL tx ...`.
    if (program.options.find((o) => o.long === a || o.short === a)?.required === true) i++;
  }
  return undefined;
}

/** `start` and `devnet` keep running after their action returns; client commands end with it. */
let longRunning = false;

const program = new Command()
  .name('medchain')
  .description('MedChain: a proof-of-authority blockchain node for medical records')
  .addOption(new Option('--rpc <url>', 'JSON-RPC URL of the node').env('MEDCHAIN_RPC').default('http://127.0.0.1:8545'))
  .addOption(
    new Option('--rpc-token <token>', "the node's bearer token (config.json rpc.token); prefer the env var").env(
      'MEDCHAIN_RPC_TOKEN',
    ),
  )
  .option('--json', 'machine-readable JSON output', false)
  .addOption(new Option('--keystore <dir>', 'directory of key files').default(defaultKeystoreDir()))
  .option('--password-file <file>', 'read the key password from a file (else MEDCHAIN_PASSWORD, else a prompt)')
  .option('--as <key>', 'queries: sign in to the node as this key (else the MEDCHAIN_RPC_TOKEN operator token)')
  .addHelpText('after', EXIT_HELP)
  .showHelpAfterError()
  .exitOverride();

/**
 * Defines the dispatched command from its module and every other one by name and summary only
 * (enough for `medchain --help` and for commander's "did you mean" on a typo).
 */
async function defineCommands(): Promise<void> {
  const name = commandOf(program, process.argv.slice(2));
  if (name !== undefined && Object.hasOwn(commands, name)) {
    (await (commands[name] as (typeof commands)[string])[1]())(program, () => {
      longRunning = true;
    });
    // A table entry pointing at the wrong module would otherwise run as an empty command.
    if (!program.commands.some((c) => c.name() === name)) throw new Error(`no module defines the command ${name}`);
  }
  for (const [name, [summary]] of Object.entries(commands))
    (program.commands.find((c) => c.name() === name) ?? program.command(name)).description(summary);
}

/**
 * A client command is done when its action is: exit now (once stdout is flushed) rather than wait
 * for idle keep-alive sockets to the node to time out.
 */
const finish = (): void => {
  if (longRunning && (process.exitCode ?? 0) === 0) return;
  process.stdout.write('', () => process.exit(process.exitCode ?? Exit.OK));
};

defineCommands()
  .then(() => program.parseAsync())
  .then(
    () => {
      process.exitCode ??= Exit.OK;
    },
    (err: unknown) => {
      if (err instanceof CommanderError) {
        // --help and --version end here too; every other parse failure is a usage error.
        process.exitCode =
          err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? Exit.OK : Exit.USAGE;
        if (err.code === 'commander.executeSubCommandAsync') process.exitCode = err.exitCode;
        return;
      }
      process.exitCode = fail(err, process.argv.includes('--json'));
    },
  )
  .finally(finish);
