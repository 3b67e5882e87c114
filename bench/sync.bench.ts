import '../src/polyfill.js';
import { existsSync } from 'node:fs';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCommit, voteSignBytes } from '../consensus/engine/messages.js';
import { VoteType } from '../consensus/engine/types.js';
import { encodeBlock, headerHash } from '../src/chain/block.js';
import {
  defaultChainParams,
  type Genesis,
  type GenesisJson,
  genesisFromJson,
  genesisToJson,
  identityId,
} from '../src/chain/genesis.js';
import type { Tx } from '../src/chain/tx.js';
import { SignPurpose, signingMessage } from '../src/crypto/domain.js';
import { publicKeyOf, signFast } from '../src/crypto/ed25519.js';
import { defaultNodeConfig, type NodeConfig } from '../src/node/config.js';
import { Node } from '../src/node/node.js';
import { addRecord, registerPatient } from '../src/tx/builders.js';
import { Purpose } from '../src/tx/kinds.js';
import { signTx } from '../src/tx/sign.js';
import { ChainState } from '../state/chain.js';
import { medicalStateMachine } from '../state/domain/index.js';
import { indexOps } from '../state/index/index.js';
import { Prng, tempDir } from './fixtures.js';
import { round } from './measure.js';
import type { BenchContext, Benchmark } from './types.js';

const key = (prng: Prng): Uint8Array => prng.bytes(32);
export const indexer = (
  ops: Parameters<typeof indexOps>[1],
  height: number,
  time: number,
  txs: readonly Tx[],
  receipts: Parameters<typeof indexOps>[0]['receipts'],
  read: (key: Uint8Array) => Uint8Array | undefined,
) => indexOps({ height, time, txs, receipts, read }, ops);

const PATIENTS = 200;

/**
 * Builds a chain directly on disk with single-validator commit certificates:
 * block 1 registers PATIENTS patients (org co-signed), then `blocks` blocks of
 * `perBlock` record pointers written by them (real signatures throughout).
 * Registration is deliberately a small part: its key checks cost ~1 ms each.
 * Blocks are `spacingMs` apart in block time.
 */
export async function buildChain(
  dir: string,
  blocks: number,
  perBlock: number,
  log: BenchContext['log'],
  spacingMs = 1000,
): Promise<Genesis> {
  const prng = new Prng(7);
  const validatorSk = key(prng);
  const orgSk = key(prng);
  const org = identityId(publicKeyOf(orgSk));
  const genesis: Genesis = {
    chainId: 'sync-bench',
    time: 1_700_000_000_000,
    params: { ...defaultChainParams, maxBlockTxs: perBlock },
    organizations: [{ pubkey: publicKeyOf(orgSk), name: 'Source Hospital' }],
    validators: [{ org, pubkey: publicKeyOf(validatorSk), power: 1 }],
  };
  const chain = await ChainState.open({ dir, genesis, machine: medicalStateMachine, indexer, syncWrites: false });
  const t0 = performance.now();
  const spent = { exec: 0, commit: 0 };
  const patients = Array.from({ length: PATIENTS }, () => key(prng));
  const pubs = new Map(patients.map((sk) => [sk, publicKeyOf(sk)]));
  for (let h = 1; h <= blocks + 1; h++) {
    const time = genesis.time + h * spacingMs;
    const env = (sk: Uint8Array) => {
      const pubkey = pubs.get(sk) as Uint8Array;
      return {
        chainId: genesis.chainId,
        expiresAt: time + 60_000,
        signer: identityId(pubkey),
        pubkey,
        nonce: prng.bytes(8),
      };
    };
    const txs: Tx[] =
      h === 1
        ? patients.map((sk) =>
            signTx(
              registerPatient({
                chainId: genesis.chainId,
                expiresAt: time + 60_000,
                pubkey: publicKeyOf(sk),
                org,
                orgSign: (m) => signFast(m, orgSk),
              }),
              sk,
              signFast,
            ),
          )
        : Array.from({ length: perBlock }, (_, i) => {
            const sk = patients[i % PATIENTS] as Uint8Array;
            const patient = identityId(pubs.get(sk) as Uint8Array);
            const body = {
              record: prng.bytes(32),
              patient,
              resourceType: i % 8,
              commitment: prng.bytes(32),
              locator: prng.bytes(40),
              custodian: org,
              purpose: Purpose.TREAT,
            };
            return signTx(addRecord(env(sk), body), sk, signFast);
          });
    const t1 = performance.now();
    const exec = chain.execute(time, org, txs);
    const t2 = performance.now();
    const block = { header: chain.header(time, org, exec), txs: txs.map((t) => t.bytes) };
    const blockHash = headerHash(block.header);
    const vote = { type: VoteType.PRECOMMIT, height: h, round: 0, blockHash, validatorIndex: 0 };
    const signature = signFast(signingMessage(SignPurpose.VOTE, genesis.chainId, voteSignBytes(vote)), validatorSk);
    const cert = encodeCommit({ height: h, round: 0, blockHash, signatures: [{ validatorIndex: 0, signature }] });
    await chain.commit(block, exec, cert, encodeBlock(block));
    const t3 = performance.now();
    spent.exec += t2 - t1;
    spent.commit += t3 - t2;
    if (h % 20 === 0) log(`  block ${h}/${blocks + 1}: ${Math.round(performance.now() - t0)} ms`);
  }
  log(`build: execute ${Math.round(spent.exec)} ms, header+commit ${Math.round(spent.commit)} ms`);
  log(`built ${blocks} blocks of ${perBlock} record pointers in ${Math.round(performance.now() - t0)} ms`);
  await chain.close();
  return genesis;
}

export const fullNodeConfig = (name: string, peers: string[], rpcPort: number): NodeConfig => ({
  ...defaultNodeConfig,
  moniker: name,
  p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], peers, open: true, allowedPeers: [] },
  rpc: { ...defaultNodeConfig.rpc, enabled: false, port: rpcPort },
  log: { level: 'warn' },
});

/**
 * A full node at `home` serving a chain of `blocks` blocks of `perBlock` record pointers that it built
 * (it has no validator key, so it only serves), and its p2p address.
 */
export async function servingNode(
  home: string,
  blocks: number,
  perBlock: number,
  log: BenchContext['log'],
  spacingMs?: number,
  cacheDir?: string,
): Promise<{ src: Node; genesis: Genesis; addr: string }> {
  const genesis = await cachedChain(join(home, 'db'), blocks, perBlock, log, spacingMs, cacheDir);
  const src = await Node.create({
    home,
    config: fullNodeConfig('src', [], 0),
    machine: medicalStateMachine,
    indexer,
    genesis,
  });
  return { src, genesis, addr: src.host.multiaddrs()[0]?.toString() as string };
}

/**
 * The built chain, from `cacheDir` when a run with the same shape left one there (a 1M-key chain
 * takes the state layer most of an hour to build; the joins it serves are what is measured).
 * The copy is the same blocks and state, so the replay baseline re-executes exactly those blocks.
 */
async function cachedChain(
  db: string,
  blocks: number,
  perBlock: number,
  log: BenchContext['log'],
  spacingMs = 1000,
  cacheDir?: string,
): Promise<Genesis> {
  const cached = cacheDir === undefined ? undefined : join(cacheDir, `chain-${blocks}x${perBlock}-${spacingMs}`);
  if (cached !== undefined && existsSync(join(cached, 'genesis.json'))) {
    await cp(join(cached, 'db'), db, { recursive: true });
    log(`chain of ${blocks} blocks of ${perBlock} copied from ${cached}`);
    return genesisFromJson(JSON.parse(await readFile(join(cached, 'genesis.json'), 'utf8')) as GenesisJson);
  }
  const genesis = await buildChain(`${db}-build`, blocks, perBlock, log, spacingMs);
  await rename(`${db}-build`, db);
  if (cached !== undefined) {
    await cp(db, join(cached, 'db'), { recursive: true });
    // Written last: a cache without it is an interrupted copy, rebuilt next time.
    await writeFile(join(cached, 'genesis.json'), JSON.stringify(genesisToJson(genesis)));
  }
  return genesis;
}

/** Polls until `node` has `height` (or the deadline passes); the caller checks which. */
export async function untilHeight(node: Node, height: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (node.chain.head.height < height && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export const benchmarks: Benchmark[] = [
  {
    id: 'p2p.sync',
    async run(ctx) {
      const blocks = Number(ctx.flags.blocks ?? 10);
      const perBlock = Number(ctx.flags['block-txs'] ?? 5000);
      const { src, genesis, addr } = await servingNode(await tempDir('sync-src'), blocks, perBlock, ctx.log);
      const dstHome = await tempDir('sync-dst');
      const t0 = performance.now();
      const dst = await Node.create({
        home: dstHome,
        config: fullNodeConfig('dst', [addr], 0),
        machine: medicalStateMachine,
        indexer,
        genesis,
      });
      try {
        const target = src.chain.head.height;
        await untilHeight(dst, target, 300_000);
        const s = (performance.now() - t0) / 1000;
        if (dst.chain.head.height < target) throw new Error(`synced only ${dst.chain.head.height}/${target} blocks`);
        if (dst.chain.head.hash.toString() !== src.chain.head.hash.toString()) throw new Error('synced head differs');
        return {
          id: 'p2p.sync',
          ops_per_s: round((blocks * perBlock + PATIENTS) / s),
          blocks_per_s: round((blocks + 1) / s, 1),
          blocks,
          block_txs: perBlock,
          seconds: round(s, 2),
        };
      } finally {
        await dst.close();
        await src.close();
      }
    },
  },
];
