import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { loadOrCreatePeerKey } from '../../p2p/peer-key.js';
import { type Genesis, genesisToJson } from '../chain/genesis.js';
import { randomSecretKey } from '../crypto/ed25519.js';
import { defaultNodeConfig, type NodeConfig, saveConfig, saveValidatorKey } from './config.js';

export const VALIDATOR_KEY_FILE = 'validator-key.json';

/** Creates a node home: config, a consensus key (validators), and the libp2p key. Returns the peer id. */
export async function initHome(
  home: string,
  cfg: Partial<NodeConfig> & Pick<NodeConfig, 'moniker'>,
  opts: { validator: boolean },
): Promise<{ peerId: string; validatorKey?: Uint8Array }> {
  await mkdir(home, { recursive: true });
  let validatorKey: Uint8Array | undefined;
  if (opts.validator) {
    validatorKey = randomSecretKey();
    await saveValidatorKey(join(home, VALIDATOR_KEY_FILE), validatorKey);
  }
  const full: NodeConfig = {
    ...defaultNodeConfig,
    ...cfg,
    ...(opts.validator ? { validatorKeyFile: VALIDATOR_KEY_FILE } : {}),
  };
  await saveConfig(home, full);
  const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(home)).toString();
  return validatorKey === undefined ? { peerId } : { peerId, validatorKey };
}

export const writeGenesis = (file: string, g: Genesis): Promise<void> =>
  writeFile(file, `${JSON.stringify(genesisToJson(g), null, 2)}\n`);
