import { verifyCommit } from '../consensus/engine/certificate.js';
import { decodeCommit } from '../consensus/engine/messages.js';
import type { Verify } from '../consensus/engine/types.js';
import { ValidatorSet } from '../consensus/engine/validator-set.js';
import { BLOCK_MAX_TXS, decodeBlock, type Header, headerHash } from '../src/chain/block.js';
import { checkBlockBody } from '../src/chain/block-body.js';
import { validatorsHash } from '../src/chain/validators.js';
import { equal, toHex } from '../src/codec/bytes.js';
import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode } from '../src/codec/cbor.js';
import { isCoded, MedchainError } from '../src/errors.js';
import { EMPTY_ROOT } from '../state/smt/node.js';
import { MAX_CHUNK_ROOTS, SnapshotErrorCode, verifyChunk } from '../state/snapshot/chunk.js';
import { decodeManifest, decodeValidators } from '../state/snapshot/manifest.js';
import type { SnapshotServer } from '../state/snapshot/server.js';
import type { ReplayEntry, SnapshotWriter } from '../state/snapshot/writer.js';
import { P2pErrorCode } from './errors.js';
import type { P2pLogger } from './logger.js';
import type { ReqResp } from './reqresp.js';
import { decodeSyncResponse, encodeSyncRequest } from './sync.js';

/** Snapshot manifests and state chunks, over one pipelined stream per peer. */
export const snapshotProtocol = (chainId: string): string => `/medchain/${chainId}/snapshot/1`;

const MANIFEST = 0;
const CHUNK = 1;
export const encodeManifestRequest = (): Uint8Array => encode([MANIFEST]);
export const encodeChunkRequest = (height: number, roots: readonly Uint8Array[]): Uint8Array =>
  encode([CHUNK, height, roots]);

/** Server side: a few requests at once per peer and in all (each can read up to a chunk budget). */
export function snapshotHandler(server: SnapshotServer, limits = { perPeer: 8, total: 32 }) {
  const serving = new Map<string, number>();
  let total = 0;
  return async (req: Uint8Array, peer = ''): Promise<Uint8Array> => {
    const mine = serving.get(peer) ?? 0;
    if (mine >= limits.perPeer || total >= limits.total) throw new MedchainError(SnapshotErrorCode.BUSY);
    serving.set(peer, mine + 1);
    total++;
    try {
      let r: unknown[];
      try {
        r = decodeCanonical(req, 64 + MAX_CHUNK_ROOTS * 34) as unknown[];
        if (!Array.isArray(r)) throw new Error('shape');
      } catch {
        throw new MedchainError(SnapshotErrorCode.BAD_REQUEST);
      }
      if (r.length === 1 && r[0] === MANIFEST) return await server.manifest();
      let height: number;
      let roots: Uint8Array[];
      try {
        const [, h, n] = asTuple(r, 3, 'snapshot.request');
        height = asUint(h, 'snapshot.height');
        roots = asArray(n, 'snapshot.roots', MAX_CHUNK_ROOTS).map((x) => asBytes(x, 'snapshot.root', 32));
        if (roots.length === 0) throw new Error('no roots');
      } catch {
        throw new MedchainError(SnapshotErrorCode.BAD_REQUEST);
      }
      return await server.chunk(height, roots);
    } finally {
      total--;
      const n = (serving.get(peer) ?? 1) - 1;
      if (n === 0) serving.delete(peer);
      else serving.set(peer, n);
    }
  };
}

export interface SnapshotJoinDeps {
  /** The snapshot protocol, and the block sync protocol (for the replay window below the snapshot). */
  rr: Pick<ReqResp, 'request'>;
  syncRr: Pick<ReqResp, 'request'>;
  /** Peers to try, best (highest) first. */
  peers(): string[];
  chainId: string;
  /** The trust anchor: the validator set this node knows (genesis). */
  trusted: ReadonlyArray<{ pubkey: Uint8Array; power: number }>;
  maxTxLifetimeMs: number;
  verifyVote: Verify;
  /** A writer on a database made ready for a (new) join: called once per attempt. */
  writer(): Promise<SnapshotWriter>;
  penalise(peer: string, code: string): void;
  log: P2pLogger;
}

export interface SnapshotJoinOptions {
  /** Chunk requests in flight to the serving peer. */
  parallel: number;
  /** Largest chunk / sync response accepted (checked before decoding). */
  maxResponseBytes: number;
  /**
   * One chunk request's deadline: the `parallel` requests share one pipelined stream and the
   * serving node's disk, so the last waits for the others (a loaded server at 200k keys took
   * more than the 10 s default).
   */
  chunkTimeoutMs: number;
  /** Tries of one chunk when the peer is only slow or busy (timeout, BUSY), not faulty. */
  chunkAttempts: number;
}

export const defaultSnapshotJoinOptions: SnapshotJoinOptions = {
  parallel: 8,
  maxResponseBytes: 4 * 1024 * 1024,
  chunkTimeoutMs: 60_000,
  chunkAttempts: 3,
};

/** Errors that say a peer is slow or busy, not that it lied: the same chunk is asked again. */
const TRANSIENT = new Set<string>([P2pErrorCode.REQUEST_TIMEOUT, P2pErrorCode.BUSY, SnapshotErrorCode.BUSY]);

/** A chunk request, asked again (up to opts.chunkAttempts) while the failure is transient. */
async function requestChunk(
  d: SnapshotJoinDeps,
  opts: SnapshotJoinOptions,
  peer: string,
  req: Uint8Array,
): Promise<Uint8Array> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await d.rr.request(peer, req, { timeoutMs: opts.chunkTimeoutMs });
    } catch (err) {
      if (attempt >= opts.chunkAttempts || !isCoded(err) || !TRANSIENT.has(err.code)) throw err;
      d.log.debug({ peer, err: err.code, attempt }, 'snapshot chunk asked again');
    }
  }
}

export interface SnapshotJoinResult {
  peer: string;
  height: number;
  stateRoot: Uint8Array;
  chunks: number;
  values: number;
}

/** Faults that prove a peer served forged or corrupt data: it is penalised and the next one tried. */
const PEER_FAULTS = new Set<string>([SnapshotErrorCode.BAD_CHUNK, SnapshotErrorCode.BAD_MANIFEST]);

/**
 * Joins from the first peer that serves a whole verified snapshot: its
 * manifest (certified block, checked against the trusted set), every chunk
 * (checked against the certified state root), then the blocks of the replay
 * window (checked by hash links down from the certified block). Cost grows
 * with the state and the tx lifetime, not with the chain's length.
 */
export async function joinBySnapshot(
  d: SnapshotJoinDeps,
  opts: SnapshotJoinOptions = defaultSnapshotJoinOptions,
): Promise<SnapshotJoinResult> {
  for (const peer of d.peers()) {
    try {
      return await joinFrom(d, opts, peer);
    } catch (err) {
      const code = isCoded(err) ? err.code : String(err);
      if (PEER_FAULTS.has(code)) d.penalise(peer, code);
      d.log.warn({ peer, err: code, ...(isCoded(err) ? err.meta : {}) }, 'snapshot join from peer failed');
    }
  }
  throw new MedchainError(SnapshotErrorCode.NO_PEER);
}

async function joinFrom(d: SnapshotJoinDeps, opts: SnapshotJoinOptions, peer: string): Promise<SnapshotJoinResult> {
  const m = decodeManifest(await d.rr.request(peer, encodeManifestRequest()));
  const { header, txs } = verifyManifest(m, d);
  d.log.info({ peer, height: m.height }, 'snapshot join started');
  const writer = await d.writer();
  const result: SnapshotJoinResult = { peer, height: m.height, stateRoot: header.stateRoot, chunks: 0, values: 0 };
  const t0 = performance.now();
  if (!equal(header.stateRoot, EMPTY_ROOT)) await fetchTree(d, opts, peer, m.height, header.stateRoot, writer, result);
  d.log.info({ peer, values: result.values, ms: Math.round(performance.now() - t0) }, 'snapshot state fetched');
  const replay = await replayWindow(d, opts, peer, header, txs);
  await writer.finish(header, m.block, m.cert, replay);
  d.log.info({ peer, height: m.height, chunks: result.chunks, values: result.values }, 'snapshot join finished');
  return result;
}

/** [REJECT] unless the block at `height` is certified by a set the trusted set vouches for. */
export function verifyManifest(
  m: ReturnType<typeof decodeManifest>,
  d: Pick<SnapshotJoinDeps, 'chainId' | 'trusted' | 'verifyVote'>,
): { header: Header; txs: ReturnType<typeof checkBlockBody> } {
  const fail = (reason: string): MedchainError => new MedchainError(SnapshotErrorCode.BAD_MANIFEST, { reason });
  let header: Header;
  let txs: ReturnType<typeof checkBlockBody>;
  try {
    const block = decodeBlock(m.block);
    header = block.header;
    // The body matches the header's txRoot (the block is stored and served as ours).
    txs = checkBlockBody(block, BLOCK_MAX_TXS);
  } catch {
    throw fail('block');
  }
  if (header.chainId !== d.chainId || header.height !== m.height || m.height < 1) throw fail('height');
  const validators = decodeValidators(m.validators);
  if (!equal(validatorsHash(validators), header.validatorsHash)) throw fail('validators hash');
  try {
    const cert = decodeCommit(m.cert);
    if (!equal(cert.blockHash, headerHash(header))) throw new Error('hash');
    verifyCommit(cert, new ValidatorSet(validators), d.verifyVote, m.height);
    // Weak subjectivity, as a light client skipping ahead: signers the trusted set knows hold more
    // than 1/3 of its power, so at least one honest trusted validator signed this block.
    const trusted = new Map(d.trusted.map((v) => [toHex(v.pubkey), v.power]));
    const total = d.trusted.reduce((s, v) => s + v.power, 0);
    let vouched = 0;
    for (const s of cert.signatures)
      vouched += trusted.get(toHex(validators[s.validatorIndex]?.pubkey ?? EMPTY_ROOT)) ?? 0;
    if (vouched * 3 <= total) throw new MedchainError(SnapshotErrorCode.UNTRUSTED, { height: m.height });
  } catch (err) {
    if (isCoded(err, SnapshotErrorCode.UNTRUSTED)) throw err;
    throw fail('certificate');
  }
  return { header, txs };
}

/** Walks the tree from the root with `parallel` chunk requests in flight; every chunk verified, then written. */
async function fetchTree(
  d: SnapshotJoinDeps,
  opts: SnapshotJoinOptions,
  peer: string,
  height: number,
  root: Uint8Array,
  writer: SnapshotWriter,
  result: SnapshotJoinResult,
): Promise<void> {
  // Depth-first: the pending list stays near depth x fan-out instead of a whole tree level.
  const pending: Uint8Array[] = [root];
  const running = new Set<Promise<void>>();
  let failure: unknown;
  const one = async (roots: Uint8Array[]): Promise<void> => {
    const bytes = await requestChunk(d, opts, peer, encodeChunkRequest(height, roots));
    const chunk = verifyChunk(roots, bytes, opts.maxResponseBytes);
    await writer.write(chunk);
    result.chunks++;
    result.values += chunk.values.length;
    pending.push(...chunk.frontier);
  };
  while (failure === undefined && (pending.length > 0 || running.size > 0)) {
    while (pending.length > 0 && running.size < opts.parallel) {
      const p: Promise<void> = one(pending.splice(Math.max(0, pending.length - MAX_CHUNK_ROOTS))).then(
        () => void running.delete(p),
        (err: unknown) => {
          running.delete(p);
          failure ??= err;
        },
      );
      running.add(p);
    }
    if (running.size > 0) await Promise.race(running);
  }
  await Promise.allSettled(running);
  if (failure !== undefined) throw failure;
}

/**
 * Transactions included below the snapshot that are still unexpired at its
 * time (they must never be included again): the blocks of the last
 * maxTxLifetimeMs, fetched downwards, each header linked by hash to the one above.
 */
async function replayWindow(
  d: SnapshotJoinDeps,
  opts: SnapshotJoinOptions,
  peer: string,
  top: Header,
  topTxs: ReturnType<typeof checkBlockBody>,
): Promise<ReplayEntry[]> {
  const out: ReplayEntry[] = [];
  const collect = (txs: ReturnType<typeof checkBlockBody>): void => {
    for (const t of txs) if (t.expiresAt >= top.time) out.push({ hash: t.hash, expiresAt: t.expiresAt });
  };
  const fail = (reason: string): MedchainError => new MedchainError(SnapshotErrorCode.BAD_CHUNK, { reason });
  collect(topTxs);
  let expectHash = top.prevHash;
  let h = top.height - 1;
  // Growing requests (1, 2, 4 ... 64 blocks): a window of one old block costs one block, not 64.
  for (let ask = 1; h >= 1; ask = Math.min(64, ask * 2)) {
    const count = Math.min(ask, h);
    const from = h - count + 1;
    const res = await d.syncRr.request(peer, encodeSyncRequest(from, count));
    let blocks: ReturnType<typeof decodeSyncResponse>;
    try {
      blocks = decodeSyncResponse(res, from, opts.maxResponseBytes, count);
    } catch {
      throw fail('replay window response');
    }
    if (blocks.length !== count) throw new MedchainError(SnapshotErrorCode.UNAVAILABLE, { height: from });
    for (let i = blocks.length - 1; i >= 0; i--) {
      let txs: ReturnType<typeof checkBlockBody>;
      let header: Header;
      try {
        const b = decodeBlock((blocks[i] as { block: Uint8Array }).block);
        header = b.header;
        txs = checkBlockBody(b, BLOCK_MAX_TXS);
      } catch {
        throw fail('replay window block');
      }
      // [REJECT] each block is the parent of the verified one above it.
      if (!equal(headerHash(header), expectHash)) throw fail('replay window link');
      // Every tx of a block this old expired before the snapshot's time: stop.
      if (header.time + d.maxTxLifetimeMs < top.time) return out;
      collect(txs);
      expectHash = header.prevHash;
    }
    h = from - 1;
  }
  return out;
}
