import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode } from '../src/codec/cbor.js';
import { MedchainError } from '../src/errors.js';
import type { ReqResp } from './reqresp.js';
import { SyncReason } from './validation.js';

/** Blocks with their commit certificates by height range, over one pipelined stream per peer. */
export const syncProtocol = (chainId: string): string => `/medchain/${chainId}/sync/1`;

export const SyncErrorCode = {
  BAD_REQUEST: 'SYNC_BAD_REQUEST',
  BAD_RESPONSE: 'SYNC_BAD_RESPONSE',
  NO_PEER: 'SYNC_NO_PEER',
  /** The server is answering as many requests as it allows (for this peer, or in all). */
  BUSY: 'SYNC_BUSY',
} as const;

export interface SyncOptions {
  /** Blocks per request, and the response byte budget (the server stops early past it). */
  maxBlocks: number;
  maxResponseBytes: number;
  /** Requests kept in flight ahead of the block being committed. */
  pipeline: number;
  /**
   * Responses built at once for one peer, and for all: each holds up to
   * `maxResponseBytes`, so these bound what requests can make us allocate
   * (an honest client has at most `pipeline` requests out).
   */
  maxServingPerPeer: number;
  maxServing: number;
}

export const defaultSyncOptions: SyncOptions = {
  maxBlocks: 64,
  maxResponseBytes: 16 * 1024 * 1024,
  pipeline: 3,
  maxServingPerPeer: 4,
  maxServing: 16,
};

export interface SyncedBlock {
  height: number;
  block: Uint8Array;
  cert: Uint8Array;
}

/** What the server reads: committed blocks and certificates. */
export interface BlockSource {
  headHeight(): number;
  getBlock(height: number): Promise<Uint8Array | undefined>;
  getCert(height: number): Promise<Uint8Array | undefined>;
}

export const encodeSyncRequest = (from: number, count: number): Uint8Array => encode([from, count]);

/** Server side: answers [from, count] with up to count consecutive [block, cert] pairs within the byte budget. */
export function syncHandler(source: BlockSource, opts: SyncOptions = defaultSyncOptions) {
  const serving = new Map<string, number>();
  let total = 0;
  return async (req: Uint8Array, peer = ''): Promise<Uint8Array> => {
    const mine = serving.get(peer) ?? 0;
    if (mine >= opts.maxServingPerPeer || total >= opts.maxServing) throw new MedchainError(SyncErrorCode.BUSY);
    serving.set(peer, mine + 1);
    total++;
    try {
      return await serve(source, req, opts);
    } finally {
      total--;
      const n = (serving.get(peer) ?? 1) - 1;
      if (n === 0) serving.delete(peer);
      else serving.set(peer, n);
    }
  };
}

async function serve(source: BlockSource, req: Uint8Array, opts: SyncOptions): Promise<Uint8Array> {
  let from: number;
  let count: number;
  try {
    const [f, c] = asTuple(decodeCanonical(req, 32), 2, 'sync.request');
    from = asUint(f, 'sync.from');
    count = Math.min(asUint(c, 'sync.count'), opts.maxBlocks);
  } catch {
    throw new MedchainError(SyncErrorCode.BAD_REQUEST);
  }
  const out: [Uint8Array, Uint8Array][] = [];
  let bytes = 0;
  const last = Math.min(source.headHeight(), from + count - 1);
  for (let h = Math.max(1, from); h <= last; h++) {
    const [block, cert] = await Promise.all([source.getBlock(h), source.getCert(h)]);
    if (block === undefined || cert === undefined) break;
    bytes += block.length + cert.length + 16;
    if (out.length > 0 && bytes > opts.maxResponseBytes - 64) break;
    out.push([block, cert]);
  }
  return encode(out);
}

/** A response to [from, maxCount]: more pairs than asked for is a bad response too. */
export function decodeSyncResponse(bytes: Uint8Array, from: number, maxBytes: number, maxCount: number): SyncedBlock[] {
  try {
    return asArray(decodeCanonical(bytes, maxBytes), 'sync.response', maxCount).map((pair, i) => {
      const [block, cert] = asTuple(pair, 2, 'sync.pair');
      return { height: from + i, block: asBytes(block, 'sync.block'), cert: asBytes(cert, 'sync.cert') };
    });
  } catch {
    // [REJECT] the canonical, bounded encoding of at most the blocks asked for, decoded once.
    throw new MedchainError(SyncErrorCode.BAD_RESPONSE, { reason: SyncReason.MALFORMED });
  }
}

/**
 * Client side: fetches [from, to] from one peer with `pipeline` requests in
 * flight and hands blocks to `apply` strictly in order. `apply` verifies the
 * certificate against the validator set it tracks and commits (re-executing,
 * so state roots are checked); if it throws, the peer gave bad data and
 * syncing from it stops with that error.
 */
export async function syncRange(
  rr: Pick<ReqResp, 'request'>,
  peer: string,
  from: number,
  to: number,
  apply: (b: SyncedBlock) => Promise<void>,
  opts: SyncOptions = defaultSyncOptions,
): Promise<number> {
  const inflight: Array<{ from: number; res: Promise<SyncedBlock[]> }> = [];
  let next = from;
  let applied = 0;
  const request = (): void => {
    if (next > to) return;
    const start = next;
    const count = Math.min(opts.maxBlocks, to - start + 1);
    next += count;
    const res = rr
      .request(peer, encodeSyncRequest(start, count))
      .then((b) => decodeSyncResponse(b, start, opts.maxResponseBytes, count));
    // Handled from the start: when the stream resets, every pipelined request fails at once, while
    // this loop awaits only the first; the others' rejections must not kill the process.
    res.catch(() => {});
    inflight.push({ from: start, res });
  };
  while (inflight.length < opts.pipeline && next <= to) request();
  while (inflight.length > 0) {
    const head = inflight.shift() as { from: number; res: Promise<SyncedBlock[]> };
    const blocks = await head.res;
    if (blocks.length === 0) break; // the peer has nothing more: stop, the caller picks another peer.
    for (const b of blocks) {
      await apply(b);
      applied++;
    }
    const got = head.from + blocks.length;
    // A short answer (byte budget): ask again for the rest before continuing in order.
    if (got < (inflight[0]?.from ?? next) && got <= to) {
      inflight.length = 0;
      next = got;
    }
    while (inflight.length < opts.pipeline && next <= to) request();
  }
  return applied;
}
