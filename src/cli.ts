#!/usr/bin/env node
import './polyfill.js';
import { Command, InvalidArgumentError } from 'commander';
import { defaultDevnetOptions, runDevnet } from './cli/devnet.js';
import { startNode } from './cli/start.js';
import { isCoded } from './errors.js';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const program = new Command()
  .name('medchain')
  .description('MedChain: a proof-of-authority blockchain node for medical records')
  .showHelpAfterError();

program
  .command('start')
  .description('run a node from its home directory (config.json, genesis, keys, data)')
  .option('--home <dir>', 'node home directory', 'data/node')
  .action(async (o: { home: string }) => startNode(o.home));

program
  .command('devnet')
  .description('run a local devnet: one validator process per hospital on loopback (resumes from --home)')
  .option('--validators <n>', 'number of validators', int, defaultDevnetOptions.validators)
  .option('--home <dir>', 'devnet directory', defaultDevnetOptions.home)
  .option('--fresh', 'delete the devnet directory and start a new chain', false)
  .option('--base-port <port>', 'first p2p port', int, defaultDevnetOptions.basePort)
  .option('--rpc-port <port>', 'first JSON-RPC port', int, defaultDevnetOptions.rpcPort)
  .option('--heartbeat-ms <ms>', 'block interval when idle', int, defaultDevnetOptions.heartbeatMs)
  .action(
    async (o: {
      validators: number;
      home: string;
      fresh: boolean;
      basePort: number;
      rpcPort: number;
      heartbeatMs: number;
    }) => runDevnet({ ...defaultDevnetOptions, ...o, log: (l) => process.stdout.write(`${l}\n`) }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`error: ${isCoded(err) ? err.message : err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
