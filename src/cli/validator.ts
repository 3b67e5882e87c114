/**
 * `medchain validator join-request | propose | vote`: a hospital becomes a validator in three
 * commands. The new hospital creates its node home and prints a join request (organization key
 * with its proof of possession, consensus key, peer id, addresses); one validator proposes it; the
 * others vote. The chain decides (state/domain/governance.ts): more than 2/3 of the current
 * validators' power, effective governanceDelayBlocks after approval; the node starts signing then.
 */
import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { identityId } from '../chain/genesis.js';
import { defaultScrypt } from '../client/keystore.js';
import { generateAccount } from '../client/tx.js';
import { fromHex, toHex } from '../codec/bytes.js';
import { publicKeyOf, signFast } from '../crypto/ed25519.js';
import { defaultNodeConfig, loadGenesis } from '../node/config.js';
import { initHome } from '../node/home.js';
import { consensusKeyProof, organizationKeyProof } from '../tx/builders.js';
import { ORG_NAME_MAX, PEER_ID_MAX } from '../tx/kinds.js';
import { listKeyFiles, openKey, password, writeKeyFile } from './keyfiles.js';
import { scryptN } from './keys.js';
import { emit, fields, globals, usage } from './output.js';
import { type Ctx, kind, run, uintArg } from './tx.js';

export const JOIN_REQUEST_KIND = 'medchain/validator-join-request';

/** What the new hospital hands to the validators (public data only: no secret leaves its machine). */
export interface JoinRequest {
  kind: typeof JOIN_REQUEST_KIND;
  chainId: string;
  name: string;
  organization: string;
  organizationKey: string;
  /** The organization key's proof of possession (a signature over chain id, id and key). */
  proof: string;
  consensusKey: string;
  /** The consensus key's proof of possession (a signature over chain id, organization, key and peer id). */
  consensusProof: string;
  power: number;
  peerId: string;
  addresses: string[];
}

const hex32 = (v: unknown): v is string => typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v);
const sig64 = (v: unknown): v is string => typeof v === 'string' && /^0x[0-9a-f]{128}$/.test(v);

/** A request file, checked field by field before anything is built from it. */
export function parseJoinRequest(text: string): JoinRequest {
  let r: Partial<JoinRequest>;
  try {
    r = JSON.parse(text) as Partial<JoinRequest>;
  } catch {
    throw usage('the join request is not JSON');
  }
  const bad = (what: string) => usage(`the join request has no valid ${what}`);
  if (r.kind !== JOIN_REQUEST_KIND) throw bad('kind');
  if (typeof r.chainId !== 'string') throw bad('chainId');
  if (typeof r.name !== 'string' || r.name.length === 0 || r.name.length > ORG_NAME_MAX) throw bad('name');
  if (!hex32(r.organizationKey)) throw bad('organizationKey');
  if (!hex32(r.consensusKey)) throw bad('consensusKey');
  if (!sig64(r.proof)) throw bad('proof');
  if (!sig64(r.consensusProof)) throw bad('consensusProof');
  if (typeof r.peerId !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]+$/.test(r.peerId) || r.peerId.length > PEER_ID_MAX)
    throw bad('peerId');
  if (!Number.isSafeInteger(r.power) || (r.power as number) < 1) throw bad('power');
  if (r.organization !== `0x${toHex(identityId(fromHex(r.organizationKey.slice(2))))}`) throw bad('organization');
  return r as JoinRequest;
}

/** Peer ids named by `/p2p/<id>` multiaddrs. */
const peerIdsOf = (addrs: string[]): string[] =>
  addrs.map((a) => /\/p2p\/([^/]+)$/.exec(a)?.[1]).filter((p): p is string => p !== undefined);

const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter((x) => x !== '')];

interface JoinRequestOpts {
  home: string;
  name: string;
  genesis: string;
  key: string;
  peers: string[];
  listen: string;
  announce: string[];
  rpcPort: number;
  power: number;
  out?: string;
  scryptN: number;
}

async function joinRequest(o: JoinRequestOpts, cmd: Command): Promise<void> {
  const g = globals(cmd);
  const home = resolve(o.home);
  if (existsSync(join(home, 'config.json'))) throw usage(`${home} already holds a node: give a new --home`);
  if (o.name.length === 0 || o.name.length > ORG_NAME_MAX || !/^[\x20-\x7e]+$/.test(o.name))
    throw usage(`--name: 1 to ${ORG_NAME_MAX} printable ASCII characters`);
  const genesis = await loadGenesis(o.genesis);
  // The organization key signs the hospital's transactions: it lives in the keystore, encrypted.
  // An organization already on chain uses its existing key (the proposal then only seats it).
  const exists = (await listKeyFiles(g)).some((k) => k.name === o.key);
  const account = exists ? await openKey(g, o.key) : generateAccount();
  if (!exists)
    await writeKeyFile(g, account, o.key, await password(g, 'New password: ', true), {
      ...defaultScrypt,
      N: o.scryptN,
    });
  const { peerId, validatorKey } = await initHome(
    home,
    {
      moniker: o.name,
      genesisFile: 'genesis.json',
      p2p: { ...defaultNodeConfig.p2p, listen: [o.listen], peers: o.peers, allowedPeers: peerIdsOf(o.peers) },
      rpc: { ...defaultNodeConfig.rpc, port: o.rpcPort },
      // Starts from a recent certified state, not from block 1 (a fresh node only).
      snapshot: { join: true },
    },
    { validator: true },
  );
  await copyFile(o.genesis, join(home, 'genesis.json'));
  const announce = o.announce.length > 0 ? o.announce : [o.listen];
  const consensusKey = publicKeyOf(validatorKey as Uint8Array);
  // Signed here, where the consensus key lives: nobody can seat a key it does not hold.
  const consensusProof = consensusKeyProof(genesis.chainId, account.id, consensusKey, peerId, (m) =>
    signFast(m, validatorKey as Uint8Array),
  );
  const req: JoinRequest = {
    kind: JOIN_REQUEST_KIND,
    chainId: genesis.chainId,
    name: o.name,
    organization: `0x${toHex(account.id)}`,
    organizationKey: `0x${toHex(account.publicKey)}`,
    proof: `0x${toHex(organizationKeyProof(genesis.chainId, account.publicKey, (m) => signFast(m, account.secretKey)))}`,
    consensusKey: `0x${toHex(consensusKey)}`,
    consensusProof: `0x${toHex(consensusProof)}`,
    power: o.power,
    peerId,
    addresses: announce.map((a) => `${a}/p2p/${peerId}`),
  };
  const file = resolve(o.out ?? join(home, 'join-request.json'));
  await writeFile(file, `${JSON.stringify(req, null, 2)}\n`);
  emit(g, { ...req, home, file }, () =>
    [
      fields({ home, request: file, organization: req.organization, consensusKey: req.consensusKey, peerId }),
      '',
      `Send ${file} to a validator, who runs: medchain validator propose --request join-request.json --from <its key>`,
      `Start this node now (medchain start --home ${home}): it syncs, and signs from the activation height on.`,
      'Validators admit this peer id while its organization holds a seat (no config change needed).',
    ].join('\n'),
  );
}

async function proposal(c: Ctx, o: Record<string, unknown>) {
  if (typeof o.remove === 'string') {
    if (o.request !== undefined) throw usage('give --request or --remove, not both');
    return c.f.proposeRemoveValidator(await c.id(o.remove));
  }
  if (typeof o.request !== 'string') throw usage('give --request <file> (a join request) or --remove <organization>');
  const r = parseJoinRequest(await readFile(o.request, 'utf8'));
  const { chainId } = await c.client.status();
  if (r.chainId !== chainId) throw usage(`the request is for chain ${r.chainId}, the node runs ${chainId}`);
  const seat = {
    consensusKey: r.consensusKey,
    peerId: r.peerId,
    consensusProof: r.consensusProof,
    power: (o.power as number | undefined) ?? r.power,
  };
  // An organization already on chain only needs its seat; a new one enters with it (JOIN).
  const known = await c.client
    .call('identity_get', { id: r.organization })
    .then((x) => x.identity !== null)
    .catch(() => false);
  return known
    ? c.f.proposeAddValidator(r.organization, seat)
    : c.f.proposeJoin({ pubkey: r.organizationKey, proof: r.proof, name: r.name, ...seat });
}

export function validatorCommand(program: Command): void {
  const v = program
    .command('validator')
    .description('join or leave the validator set: join-request (new hospital), propose and vote (validators)');

  v.command('join-request')
    .description('a new hospital: create its node home and keys, and write the join request for the validators')
    .requiredOption('--name <name>', "the organization's public name")
    .requiredOption('--genesis <file>', "the network's genesis.json (copied into the home)")
    .requiredOption('--key <name>', 'keystore name of the organization key (created unless it exists)')
    .option('--home <dir>', 'the new node home', 'data/node')
    .option('--peers <multiaddrs>', 'validators to connect to, comma separated (/ip4/../tcp/../p2p/<id>)', list, [])
    .option('--listen <multiaddr>', 'p2p listen address', '/ip4/0.0.0.0/tcp/26656')
    .option('--announce <multiaddrs>', 'addresses the validators dial, comma separated (default: --listen)', list, [])
    .addOption(new Option('--rpc-port <port>', 'JSON-RPC port').argParser(uintArg).default(8545))
    .addOption(new Option('--power <n>', 'voting power asked for').argParser(uintArg).default(1))
    .option('--out <file>', 'where to write the request (default <home>/join-request.json)')
    .option('--scrypt-n <n>', 'scrypt cost of a new key file (power of two)', scryptN, defaultScrypt.N)
    .action((o: JoinRequestOpts, cmd: Command) => joinRequest(o, cmd));

  kind(v, 'propose', 'a validator proposes a join request (or --remove an organization); prints the proposal id')
    .option('--request <file>', 'a join request (from `medchain validator join-request`)')
    .option('--remove <organization>', 'propose removing this validator organization instead')
    .addOption(new Option('--power <n>', 'voting power (default: the request’s)').argParser(uintArg))
    .addHelpText(
      'after',
      '\nThe other validators then run `medchain validator vote --proposal <id>`; with more than 2/3 of the\n' +
        'voting power in favour, the change takes effect governanceDelayBlocks (genesis) after approval.',
    )
    .action((_o, cmd: Command) => run(cmd, proposal, 'proposal'));

  kind(v, 'vote', 'a validator approves a proposal (each validator once; more than 2/3 of the power approves)')
    .requiredOption('--proposal <id>', 'the proposal id `propose` printed')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.voteValidatorChange(await c.id(o.proposal as string))));
}
