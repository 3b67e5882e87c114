#!/usr/bin/env node
import './polyfill.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { defaultDevnetOptions } from './cli/devnet.js';
import { initCommand } from './cli/init.js';
import { defaultKeystoreDir } from './cli/keyfiles.js';
import { keysCommand } from './cli/keys.js';
import { opsCommands } from './cli/ops.js';
import { EXIT_HELP, Exit, fail, globals } from './cli/output.js';
import { queryCommands } from './cli/query.js';
import { recordsCommand } from './cli/records.js';
import { recordsImportCommand } from './cli/records-import.js';
import { txCommand } from './cli/tx.js';
import { validatorCommand } from './cli/validator.js';
import { vaultCommand } from './cli/vault.js';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

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

program
  .command('start')
  .description('run a node from its home directory (config.json, genesis, keys, data)')
  .option('--home <dir>', 'node home directory', 'data/node')
  .action(async (o: { home: string }, cmd: Command) => {
    longRunning = true;
    await (await import('./cli/start.js')).startNode(o.home, globals(cmd));
  });

program
  .command('devnet')
  .description('run a local devnet: one validator process per hospital on loopback (resumes from --home)')
  .addOption(
    new Option('--validators <n>', 'number of validators')
      .argParser(int)
      .env('MEDCHAIN_DEVNET_VALIDATORS')
      .default(defaultDevnetOptions.validators),
  )
  .option('--home <dir>', 'devnet directory', defaultDevnetOptions.home)
  .option('--fresh', 'delete the devnet directory and start a new chain', false)
  .addOption(
    new Option('--base-port <port>', 'first p2p port')
      .argParser(int)
      .env('MEDCHAIN_DEVNET_P2P_PORT')
      .default(defaultDevnetOptions.basePort),
  )
  .addOption(
    new Option('--rpc-port <port>', 'first JSON-RPC port')
      .argParser(int)
      .env('MEDCHAIN_DEVNET_RPC_PORT')
      .default(defaultDevnetOptions.rpcPort),
  )
  .addOption(
    new Option('--ops-port <port>', 'first operations port (metrics, /livez, /readyz, backups)')
      .argParser(int)
      .env('MEDCHAIN_DEVNET_OPS_PORT')
      .default(defaultDevnetOptions.opsPort),
  )
  .option('--heartbeat-ms <ms>', 'block interval when idle', int, defaultDevnetOptions.heartbeatMs)
  .option('--verbose', "print every node's log lines instead of one status line per node", false)
  .action(
    async (o: {
      validators: number;
      home: string;
      fresh: boolean;
      basePort: number;
      rpcPort: number;
      opsPort: number;
      heartbeatMs: number;
      verbose: boolean;
    }) => {
      longRunning = true;
      await (await import('./cli/devnet.js')).runDevnet({
        ...defaultDevnetOptions,
        ...o,
        log: (l) => process.stdout.write(`${l}\n`),
      });
    },
  );

initCommand(program);
keysCommand(program);
txCommand(program);
validatorCommand(program);
queryCommands(program);
opsCommands(program);
recordsCommand(program);
vaultCommand(program, () => {
  longRunning = true;
});
recordsImportCommand(program);

/**
 * A client command is done when its action is: exit now (once stdout is flushed) rather than wait
 * for idle keep-alive sockets to the node to time out.
 */
const finish = (): void => {
  if (longRunning && (process.exitCode ?? 0) === 0) return;
  process.stdout.write('', () => process.exit(process.exitCode ?? Exit.OK));
};

program
  .parseAsync()
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
