/**
 * Fuzz targets: every decoder and entry point that takes bytes from outside.
 * `run` returns the canonical re-encoding of what it accepted (the engine
 * checks it equals the input), `undefined` when the entry point has no
 * re-encoding to compare (it then checks its own properties and throws a
 * Violation), or throws: a coded MedchainError is a clean rejection, anything
 * else is a crasher.
 */
import { decode as cborDecode } from 'cborg';
import {
  decodeCommit,
  decodeProposal,
  decodeVote,
  encodeCommit,
  encodeProposal,
  encodeVote,
} from '../../consensus/engine/messages.js';
import { defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import { decodeBundle, encodeBundle } from '../../p2p/bundle.js';
import { decodeStatus, encodeStatus } from '../../p2p/status.js';
import { decodeSyncResponse, encodeSyncRequest, syncHandler } from '../../p2p/sync.js';
import { decodeBlock, decodeHeader, encodeBlock, encodeHeader } from '../../src/chain/block.js';
import { decodeReceipt, encodeReceipt } from '../../src/chain/receipt.js';
import { assembleTx, decodeTx, encodeTxPayload } from '../../src/chain/tx.js';
import { decodeRequest, encodeRequestHeader, encodeRequestPayload } from '../../src/client/vault/protocol.js';
import { encode } from '../../src/codec/cbor.js';
import { isCoded } from '../../src/errors.js';
import { decodeBody, encodeBody, type MedicalKind } from '../../src/tx/bodies.js';
import { parseWraps } from '../../src/vault/service.js';
import { medicalStateMachine } from '../../state/domain/medical-machine.js';
import * as S from './seeds.js';

/** A property broken by an accepted input (not a rejection). */
export class Violation extends Error {
  override name = 'Violation';
}

export interface Target {
  name: string;
  /** 'cbor' adds tree-aware mutations; 'json' uses the JSON mutators; 'bytes' (text, frames) byte mutations only. */
  format: 'cbor' | 'json' | 'bytes';
  /** Longest random (non-mutated) input. */
  maxRandom: number;
  seeds(): Uint8Array[] | Promise<Uint8Array[]>;
  run(x: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  close?(): Promise<void>;
}

const NODE_BUNDLE_LIMITS = { maxItems: 10_000, maxItemBytes: 16 * 1024 };
const MAX_PROPOSAL_BYTES = 4 * 1024 * 1024;

function reencodeTx(x: Uint8Array): Uint8Array {
  const tx = decodeTx(x);
  const body = decodeBody(tx);
  const f = { ...tx, body: encodeBody(tx.kind as MedicalKind, body as never) };
  return assembleTx(f, encodeTxPayload(f), tx.signature).bytes;
}

/** Blocks a fake chain of 100 heights serves to sync requests. */
const SYNC_SOURCE = {
  headHeight: () => 100,
  getBlock: async (h: number) => (h <= 100 ? Uint8Array.of(h & 0xff) : undefined),
  getCert: async (h: number) => (h <= 100 ? Uint8Array.of(1) : undefined),
};
const serveSync = syncHandler(SYNC_SOURCE);

/** Mempool admission of a gossip bundle, signatures taken as valid (they are checked last anyway). */
function gossipMempool(): Mempool {
  return new Mempool(defaultMempoolOptions, {
    chainId: S.CHAIN_ID,
    maxTxLifetimeMs: 10 * 365 * 86_400_000,
    kind: (k) => medicalStateMachine.kind(k),
    isIncluded: () => false,
    verifyMany: async (items) => items.map(() => true),
    now: () => 1_800_000_000_000,
  });
}

export const CBOR_TARGETS: Target[] = [
  { name: 'tx', format: 'cbor', maxRandom: 300, seeds: S.txSeeds, run: reencodeTx },
  {
    name: 'block',
    format: 'cbor',
    maxRandom: 600,
    seeds: S.blockSeeds,
    run: (x) => encodeBlock(decodeBlock(x)),
  },
  { name: 'header', format: 'cbor', maxRandom: 400, seeds: S.headerSeeds, run: (x) => encodeHeader(decodeHeader(x)) },
  { name: 'commit', format: 'cbor', maxRandom: 400, seeds: S.commitSeeds, run: (x) => encodeCommit(decodeCommit(x)) },
  { name: 'vote', format: 'cbor', maxRandom: 200, seeds: S.voteSeeds, run: (x) => encodeVote(decodeVote(x)) },
  {
    name: 'proposal',
    format: 'cbor',
    maxRandom: 400,
    seeds: S.proposalSeeds,
    run: (x) => encodeProposal(decodeProposal(x, MAX_PROPOSAL_BYTES)),
  },
  {
    name: 'bundle',
    format: 'cbor',
    maxRandom: 400,
    seeds: S.bundleSeeds,
    run: (x) => encodeBundle(decodeBundle(x, NODE_BUNDLE_LIMITS)),
  },
  {
    // The gossip tx path after the bundle: every item gets a result, a coded one when refused.
    name: 'gossip-tx',
    format: 'cbor',
    maxRandom: 400,
    seeds: S.bundleSeeds,
    run: async (x) => {
      const items = decodeBundle(x, NODE_BUNDLE_LIMITS);
      const res = await gossipMempool().addMany(items);
      if (res.length !== items.length) throw new Violation('one result per item');
      for (const r of res) if (!r.ok && !/^TX_[A-Z_]+$/.test(r.code)) throw new Violation(`uncoded result ${r.code}`);
      return encodeBundle(items);
    },
  },
  {
    name: 'sync-request',
    format: 'cbor',
    maxRandom: 40,
    seeds: S.syncRequestSeeds,
    run: async (x) => {
      const res = await serveSync(x);
      // Accepted: it was [from, count]; the answer is a well-formed response.
      decodeSyncResponse(res, 1, 1 << 20, 1 << 16);
      const [from, count] = cborDecode(x) as [number, number];
      return encodeSyncRequest(from, count);
    },
  },
  {
    name: 'sync-response',
    format: 'cbor',
    maxRandom: 600,
    seeds: S.syncResponseSeeds,
    run: (x) => encode(decodeSyncResponse(x, 1, 16 * 1024 * 1024, 1 << 16).map((b) => [b.block, b.cert])),
  },
  { name: 'status', format: 'cbor', maxRandom: 200, seeds: S.statusSeeds, run: (x) => encodeStatus(decodeStatus(x)) },
  {
    // Receipts reach clients over RPC; the SDK decodes them to verify proofs.
    name: 'receipt',
    format: 'cbor',
    maxRandom: 300,
    seeds: S.receiptSeeds,
    run: (x) => encodeReceipt(decodeReceipt(x)),
  },
  {
    name: 'vault-request',
    format: 'cbor',
    maxRandom: 400,
    seeds: S.vaultRequestSeeds,
    run: (x) => {
      const { req, sig } = decodeRequest(x);
      return encodeRequestHeader(encodeRequestPayload(req), sig);
    },
  },
  {
    name: 'vault-keys',
    format: 'cbor',
    maxRandom: 400,
    seeds: S.vaultKeysSeeds,
    run: (x) => encode(parseWraps(x).map((w) => [w.grantee, w.grant, w.wrapped])),
  },
];

/** Only the project's coded errors may escape an entry point. */
export const isCleanRejection = (err: unknown): boolean => isCoded(err);
