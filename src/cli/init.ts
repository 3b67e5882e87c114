/** `medchain init`: creates a node home (config, p2p key, optional validator key) for `medchain start`. */
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toHex } from '../codec/bytes.js';
import { publicKeyOf } from '../crypto/ed25519.js';
import { initHome } from '../node/home.js';
import { emit, fields, globals } from './output.js';

export function initCommand(program: Command): void {
  program
    .command('init')
    .option('--home <dir>', 'node home directory', 'data/node')
    .option('--moniker <name>', 'node name in logs', 'node')
    .option('--validator', 'also create a consensus (validator) key', false)
    .option('--genesis <file>', 'copy this genesis file into the home as genesis.json')
    .action(async (o: { home: string; moniker: string; validator: boolean; genesis?: string }, cmd: Command) => {
      const g = globals(cmd);
      const home = resolve(o.home);
      const r = await initHome(home, { moniker: o.moniker, genesisFile: 'genesis.json' }, { validator: o.validator });
      if (o.genesis !== undefined) await copyFile(o.genesis, join(home, 'genesis.json'));
      const out = {
        home,
        peerId: r.peerId,
        validatorPubkey: r.validatorKey === undefined ? null : `0x${toHex(publicKeyOf(r.validatorKey))}`,
        genesis: o.genesis === undefined ? 'missing: put the chain genesis at genesis.json' : 'genesis.json',
      };
      emit(g, out, () => fields(out));
    });
}
