import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCommit } from '../../consensus/engine/messages.js';
import { silentLogger } from '../../p2p/logger.js';
import { defaultP2pOptions } from '../../p2p/options.js';
import {
  decodeSyncResponse,
  defaultSyncOptions,
  encodeSyncRequest,
  SyncErrorCode,
  syncHandler,
  syncRange,
} from '../../p2p/sync.js';
import { SyncManager } from '../../p2p/sync-manager.js';
import { penaltyOf, SyncReason, verdictOf } from '../../p2p/validation.js';
import { decodeBlock, headerHash } from '../../src/chain/block.js';
import { utf8 } from '../../src/codec/bytes.js';
import { encode } from '../../src/codec/cbor.js';
import { isCoded } from '../../src/errors.js';
import type { ChainState } from '../../state/chain.js';
import { kvTx } from '../helpers/kv-machine.js';
import {
  buildSource,
  dropOneTx,
  type Follower,
  follower,
  genesis,
  honest,
  removeTmp,
  signCert,
  tampering,
} from './chain-fixture.js';
import { waitFor } from './helpers.js';

test.after(removeTmp);

/** A source chain of `blocks` blocks and a follower at genesis, both closed even when the test fails. */
async function run(blocks: number, fn: (f: Follower, source: ChainState) => Promise<void>): Promise<void> {
  const source = await buildSource(blocks);
  const f = await follower();
  try {
    await fn(f, source);
  } finally {
    await f.close();
    await source.close();
  }
}

test('sync: a real header and certificate over a body missing a tx is refused, the peer penalised, another peer serves', () =>
  run(3, async (f, source) => {
    f.peers.set('evil', { height: 3, respond: tampering(source, 2, dropOneTx) });
    f.peers.set('good', { height: 3, respond: honest(source) });
    f.sync.trigger();
    await waitFor(() => f.chain.head.height === 3, 'head 3', 20_000);
    assert.ok(f.penalties.includes('evil'), `penalised: ${f.penalties}`);
    assert.not.ok(f.penalties.includes('good'));
    assert.ok(
      f.reasons.every((r) => r === SyncReason.BAD_BLOCK),
      `reasons: ${f.reasons}`,
    );
  }));

test('sync: a node served a bad body is not stuck: it syncs once the same peer turns honest', () =>
  run(3, async (f, source) => {
    f.peers.set('p', { height: 3, respond: tampering(source, 2, dropOneTx) });
    f.sync.trigger();
    await waitFor(() => f.penalties.length > 0 && !f.sync.syncing, 'the bad response', 20_000);
    assert.is(f.chain.head.height, 1);
    f.peers.set('p', { height: 3, respond: honest(source) });
    f.sync.trigger();
    await waitFor(() => f.chain.head.height === 3, 'head 3', 20_000);
  }));

test('sync: a malformed certificate is a bad response: the peer is penalised and another serves the block', () =>
  run(2, async (f, source) => {
    f.peers.set('evil', { height: 2, respond: tampering(source, 1, (block) => [block, new Uint8Array([0x83, 1, 2])]) });
    f.peers.set('good', { height: 2, respond: honest(source) });
    f.sync.trigger();
    await waitFor(() => f.chain.head.height === 2, 'head 2', 20_000);
    assert.equal(f.penalties, ['evil']);
    assert.equal(f.reasons, [SyncReason.CERT_MALFORMED]);
  }));

test('sync: a certificate that does not hold (signature of another block) is a bad response', () =>
  run(2, async (f, source) => {
    // Signed for another block, relabelled with this block's hash.
    const relabel = (block: Uint8Array): Uint8Array =>
      encodeCommit({ ...signCert(1, new Uint8Array(32).fill(9)), blockHash: headerHash(decodeBlock(block).header) });
    f.peers.set('evil', { height: 2, respond: tampering(source, 1, (block) => [block, relabel(block)]) });
    f.sync.trigger();
    await waitFor(() => !f.sync.syncing && f.penalties.length > 0, 'the bad response', 20_000);
    assert.equal(f.penalties, ['evil']);
    assert.equal(f.reasons, [SyncReason.BAD_CERT]);
    assert.is(f.chain.head.height, 0);
  }));

test('sync server: one peer gets at most maxServingPerPeer responses built at once, all peers maxServing (SYNC_BUSY)', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const source = {
    headHeight: () => 10,
    getBlock: async () => {
      await gate;
      return new Uint8Array(1);
    },
    getCert: async () => new Uint8Array(1),
  };
  const serve = syncHandler(source, { ...defaultSyncOptions, maxServingPerPeer: 2, maxServing: 3 });
  const req = encodeSyncRequest(1, 1);
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (isCoded(e) ? e.code : String(e)),
    );
  // While the first responses are being built: two for a, one for b, then every slot is taken.
  const all = ['a', 'a', 'a', 'b', 'c'].map((peer) => outcome(serve(req, peer)));
  release();
  assert.equal(await Promise.all(all), ['ok', 'ok', SyncErrorCode.BUSY, 'ok', SyncErrorCode.BUSY]);
  assert.is(await outcome(serve(req, 'a')), 'ok', 'slots are given back');
});

test('sync: a response with more blocks than requested is a bad response', () => {
  const two = encode([
    [new Uint8Array(1), new Uint8Array(1)],
    [new Uint8Array(1), new Uint8Array(1)],
  ]);
  assert.is(decodeSyncResponse(two, 5, 1 << 20, 2).length, 2);
  try {
    decodeSyncResponse(two, 5, 1 << 20, 1);
    assert.unreachable('more pairs than asked for');
  } catch (err) {
    assert.ok(isCoded(err, SyncErrorCode.BAD_RESPONSE));
    assert.is(err.meta.reason, SyncReason.MALFORMED);
  }
});

test("sync: once the node's shutdown signal is aborted, no sync starts (no request is sent)", () => {
  const ctl = new AbortController();
  let requests = 0;
  const sync = new SyncManager({
    rr: {
      request: async () => {
        requests++;
        return new Uint8Array();
      },
    },
    peerHeights: () => new Map([['p', 10]]),
    headHeight: () => 0,
    commit: async () => {},
    penalise: () => {},
    log: silentLogger,
    signal: ctl.signal,
  });
  ctl.abort();
  sync.trigger();
  assert.not.ok(sync.syncing);
  assert.is(requests, 0);
});

test('sync reasons are rejections; each costs the peer what one bad response cost before (5 × rejectPenalty)', () => {
  for (const r of Object.values(SyncReason)) {
    assert.is(verdictOf(r), 'reject', r);
    assert.is(penaltyOf(r, defaultP2pOptions), 5 * defaultP2pOptions.rejectPenalty, r);
  }
});

test('block builder: a proposer never builds a block above its byte budget (what a proposal can carry)', async () => {
  const budget = 8 * 1024;
  const f = await follower(budget);
  try {
    const txs = Array.from({ length: 20 }, (_, i) =>
      kvTx(genesis.chainId, utf8(`big${i}`), new Uint8Array(1000).fill(i), genesis.time + 60_000),
    );
    for (const tx of txs) await f.mempool.add(tx.bytes);
    const built = await f.executor.buildBlock(1, 0, genesis.time + 1000);
    assert.ok(built.block.length <= budget, `${built.block.length} bytes`);
    const n = decodeBlock(built.block).txs.length;
    assert.ok(n > 0 && n < txs.length, `${n} txs`);
  } finally {
    await f.close();
  }
});

test('sync: a reset that fails every pipelined request at once is one error to the caller, no unhandled rejection (it killed the process)', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const rejects: ((e: Error) => void)[] = [];
    const rr = {
      request: () =>
        new Promise<Uint8Array>((_, reject) => {
          rejects.push(reject);
        }),
    };
    const run = syncRange(rr, 'peer', 1, 1000, async () => {}, { ...defaultSyncOptions, maxBlocks: 10, pipeline: 3 });
    await waitFor(() => rejects.length === 3, 'three pipelined requests');
    // The stream resets: the later requests fail first, then the one the loop awaits.
    const reset = new Error('P2P_STREAM_CLOSED');
    rejects[2]?.(reset);
    rejects[1]?.(reset);
    await new Promise<void>((resolve) => setImmediate(resolve));
    rejects[0]?.(reset);
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    assert.is((err as Error | null)?.message, 'P2P_STREAM_CLOSED');
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test.run();
