import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainExecutor, toValidatorSet } from '../../consensus/chain-executor.js';
import { ConsensusDriver } from '../../consensus/engine/driver.js';
import { ConsensusEngine } from '../../consensus/engine/engine.js';
import { encodeCommit, voteSignBytes } from '../../consensus/engine/messages.js';
import { type CommitCertificate, VoteType } from '../../consensus/engine/types.js';
import { defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import { MemoryStore } from '../../consensus/wal/store.js';
import { ConsensusWal } from '../../consensus/wal/wal.js';
import { silentLogger } from '../../p2p/logger.js';
import { decodeSyncResponse, defaultSyncOptions, encodeSyncRequest, syncHandler } from '../../p2p/sync.js';
import { SyncManager } from '../../p2p/sync-manager.js';
import type { SyncReason } from '../../p2p/validation.js';
import { type Block, decodeBlock, encodeBlock, headerHash } from '../../src/chain/block.js';
import type { Genesis } from '../../src/chain/genesis.js';
import { utf8 } from '../../src/codec/bytes.js';
import { asTuple, asUint, decodeCanonical, encode } from '../../src/codec/cbor.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { signFast, verify } from '../../src/crypto/ed25519.js';
import { ChainState } from '../../state/chain.js';
import { kvGenesis, kvMachine, kvTx, testKey } from '../helpers/kv-machine.js';

/**
 * A real chain for sync tests: a kv chain with one validator (testKey(0))
 * whose blocks carry real commit certificates, and a follower node wired as
 * Node.create wires it (chain, executor, engine, driver, sync manager), with
 * the network replaced by a request function the test controls.
 */

const dirs: string[] = [];
export function tmp(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `medchain-${name}-`));
  dirs.push(d);
  return d;
}
export function removeTmp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const genesis: Genesis = kvGenesis('sync-test');
const validatorSk = testKey(0);
const voteMsg = (bytes: Uint8Array): Uint8Array => signingMessage(SignPurpose.VOTE, genesis.chainId, bytes);
export const verifyVote = (pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array): boolean =>
  verify(sig, voteMsg(bytes), pk);

export function signCert(height: number, blockHash: Uint8Array): CommitCertificate {
  const vote = { type: VoteType.PRECOMMIT, height, round: 0, blockHash, validatorIndex: 0 };
  return {
    height,
    round: 0,
    blockHash,
    signatures: [{ validatorIndex: 0, signature: signFast(voteMsg(voteSignBytes(vote)), validatorSk) }],
  };
}

/** Commits `blocks` blocks of `perBlock` kv txs each, every one with a valid certificate. */
export async function buildSource(blocks: number, perBlock = 3): Promise<ChainState> {
  const chain = await ChainState.open({ dir: tmp('sync-src'), genesis, machine: kvMachine, syncWrites: false });
  await extendSource(chain, blocks, perBlock);
  return chain;
}

/** Commits `blocks` more blocks (one second apart) on a chain built by buildSource. */
export async function extendSource(chain: ChainState, blocks: number, perBlock = 3): Promise<void> {
  const top = chain.head.height + blocks;
  for (let h = chain.head.height + 1; h <= top; h++) {
    const time = genesis.time + h * 1000;
    const txs = Array.from({ length: perBlock }, (_, i) =>
      kvTx(genesis.chainId, utf8(`k${h}-${i}`), utf8(`v${h}`), time + 60_000),
    );
    const proposer = chain.validators[0]?.id as Uint8Array;
    const exec = chain.execute(time, proposer, txs);
    const block: Block = { header: chain.header(time, proposer, exec), txs: txs.map((t) => t.bytes) };
    await chain.commit(block, exec, encodeCommit(signCert(h, headerHash(block.header))), encodeBlock(block));
  }
}

export type Responder = (from: number, count: number) => Promise<Uint8Array>;

/** The real sync server over a source chain. */
export function honest(source: ChainState): Responder {
  const serve = syncHandler({
    headHeight: () => source.head.height,
    getBlock: (h) => source.blocks.getBlock(h),
    getCert: (h) => source.blocks.getCert(h),
  });
  return (from, count) => serve(encodeSyncRequest(from, count));
}

/** Serves the source chain but rewrites the [block, cert] pair at `height` with `tamper`. */
export function tampering(
  source: ChainState,
  height: number,
  tamper: (block: Uint8Array, cert: Uint8Array) => [Uint8Array, Uint8Array],
): Responder {
  const serve = honest(source);
  return async (from, count) => {
    const pairs = decodeSyncResponse(await serve(from, count), from, defaultSyncOptions.maxResponseBytes, count);
    return encode(pairs.map((p) => (p.height === height ? tamper(p.block, p.cert) : [p.block, p.cert])));
  };
}

/** The header and certificate stay real; one tx is missing from the body (finding 4 of issue 12). */
export const dropOneTx = (block: Uint8Array, cert: Uint8Array): [Uint8Array, Uint8Array] => {
  const b = decodeBlock(block);
  return [encodeBlock({ header: b.header, txs: b.txs.slice(1) }), cert];
};

export interface Follower {
  chain: ChainState;
  mempool: Mempool;
  executor: ChainExecutor;
  driver: ConsensusDriver;
  sync: SyncManager;
  penalties: string[];
  /** The reason of each penalty, in order. */
  reasons: SyncReason[];
  /** Peer → responder; swap entries to make a peer honest or hostile. */
  peers: Map<string, { height: number; respond: Responder }>;
  close(): Promise<void>;
}

/** A non-validator node following the source chain by sync only. */
export async function follower(maxBlockBytes?: number, dir = tmp('sync-dst')): Promise<Follower> {
  const chain = await ChainState.open({ dir, genesis, machine: kvMachine, syncWrites: false });
  const mempool = new Mempool(defaultMempoolOptions, {
    chainId: genesis.chainId,
    maxTxLifetimeMs: genesis.params.maxTxLifetimeMs,
    kind: (k) => kvMachine.kind(k),
    isIncluded: (h) => chain.isIncluded(h),
    verifyMany: async (items) => items.map((i) => verify(i.sig, i.msg, i.pk)),
    now: () => genesis.time,
  });
  const executor = new ChainExecutor({
    chain,
    mempool,
    verifyMany: async (items) => items.map((i) => verify(i.sig, i.msg, i.pk)),
    kind: (k) => kvMachine.kind(k),
    ...(maxBlockBytes === undefined ? {} : { maxBlockBytes }),
  });
  const engine = new ConsensusEngine({ chainId: genesis.chainId }, { verify: verifyVote });
  const driver = new ConsensusDriver({
    engine,
    executor,
    wal: new ConsensusWal(new MemoryStore(), 1 << 24),
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    },
    transport: { broadcastProposal: () => {}, broadcastVote: () => {}, requestSync: () => sync.trigger() },
  });
  const peers = new Map<string, { height: number; respond: Responder }>();
  const penalties: string[] = [];
  /** The reason of each penalty, in order. */
  const reasons: SyncReason[] = [];
  const sync: SyncManager = new SyncManager({
    rr: {
      request: async (peer: string, req: Uint8Array) => {
        const [from, count] = asTuple(decodeCanonical(req, 32), 2, 'req').map((v) => asUint(v, 'n'));
        const p = peers.get(peer);
        if (!p) throw new Error('no such peer');
        return p.respond(from as number, count as number);
      },
    },
    peerHeights: () => new Map([...peers].map(([id, p]) => [id, p.height])),
    headHeight: () => chain.head.height,
    commit: (height, block, cert) => driver.synced(height, block, cert),
    penalise: (peer, reason) => {
      penalties.push(peer);
      reasons.push(reason);
    },
    log: silentLogger,
  });
  await driver.start(chain.head.height + 1, toValidatorSet(chain.validators), chain.head.time);
  return {
    chain,
    mempool,
    executor,
    driver,
    sync,
    penalties,
    reasons,
    peers,
    close: async () => {
      await sync.close();
      await driver.close();
      await chain.close();
    },
  };
}
