import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCommit } from '../../consensus/engine/messages.js';
import { P2pError, P2pErrorCode } from '../../p2p/errors.js';
import { silentLogger } from '../../p2p/logger.js';
import {
  defaultSnapshotJoinOptions,
  joinBySnapshot,
  type SnapshotJoinDeps,
  snapshotHandler,
  verifyManifest,
} from '../../p2p/snapshot.js';
import { syncHandler } from '../../p2p/sync.js';
import { decodeBlock, headerHash } from '../../src/chain/block.js';
import { decodeTx } from '../../src/chain/tx.js';
import { equal, toHex, utf8 } from '../../src/codec/bytes.js';
import { asArray, asTuple, decodeCanonical, encode } from '../../src/codec/cbor.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isCoded } from '../../src/errors.js';
import { ChainState } from '../../state/chain.js';
import { SnapshotErrorCode, verifyChunk } from '../../state/snapshot/chunk.js';
import { decodeManifest, encodeManifest } from '../../state/snapshot/manifest.js';
import { defaultSnapshotServerOptions, SnapshotServer } from '../../state/snapshot/server.js';
import { SnapshotWriter } from '../../state/snapshot/writer.js';
import { openDb } from '../../state/store/db.js';
import { kvKey, kvMachine } from '../helpers/kv-machine.js';
import {
  buildSource,
  extendSource,
  follower,
  genesis,
  removeTmp,
  signCert,
  tmp,
  verifyVote,
} from '../p2p/chain-fixture.js';
import { waitFor } from '../p2p/helpers.js';

test.after(removeTmp);

type Handler = (req: Uint8Array, peer?: string) => Promise<Uint8Array>;

interface Peer {
  snap: Handler;
  sync: Handler;
}

/** A server over a source chain, small chunks so that a join takes many of them. */
function serverOf(source: ChainState, maxChunkBytes = 32 * 1024): SnapshotServer {
  return new SnapshotServer(
    { db: source.db, head: () => source.head, headValidators: () => source.headValidators, now: Date.now },
    { ...defaultSnapshotServerOptions, maxChunkBytes },
  );
}

function honestPeer(source: ChainState, server: SnapshotServer): Peer {
  return {
    snap: snapshotHandler(server),
    sync: syncHandler({
      headHeight: () => source.head.height,
      getBlock: (h) => source.blocks.getBlock(h),
      getCert: (h) => source.blocks.getCert(h),
    }),
  };
}

/** A joiner at genesis on a fresh database, asking `peers` in order; counts requests per protocol. */
async function join(
  peers: Map<string, Peer>,
  trusted: SnapshotJoinDeps['trusted'] = genesis.validators,
  penalties: Array<[string, string]> = [],
) {
  const dir = tmp('snap-dst');
  await (await ChainState.open({ dir, genesis, machine: kvMachine })).close();
  const db = await openDb(dir);
  const counts = { snap: 0, sync: 0 };
  const deps: SnapshotJoinDeps = {
    rr: {
      request: (peer, req) => {
        counts.snap++;
        return (peers.get(peer) as Peer).snap(req, 'me');
      },
    },
    syncRr: {
      request: (peer, req) => {
        counts.sync++;
        return (peers.get(peer) as Peer).sync(req, 'me');
      },
    },
    peers: () => [...peers.keys()],
    chainId: genesis.chainId,
    trusted,
    maxTxLifetimeMs: genesis.params.maxTxLifetimeMs,
    verifyVote,
    writer: () => SnapshotWriter.begin(db),
    penalise: (peer, code) => penalties.push([peer, code]),
    log: silentLogger,
  };
  try {
    const result = await joinBySnapshot(deps);
    return { dir, result, penalties, counts };
  } finally {
    await db.close();
  }
}

test('snapshot join: a fresh node joins a 5,000-block chain, its state root matches and it follows with block sync', async () => {
  // State in the first 100 blocks, then mostly empty blocks (signing txs is the slow part of a fixture).
  const source = await buildSource(100, 3);
  await extendSource(source, 4880, 0);
  await extendSource(source, 20, 1);
  const server = serverOf(source, 2048);
  try {
    const { dir, result, penalties, counts } = await join(new Map([['good', honestPeer(source, server)]]));
    assert.is(result.height, 5000);
    assert.equal(penalties, []);
    assert.ok(result.chunks > 10, `chunks ${result.chunks}`);
    assert.ok(result.values >= 320, `values ${result.values}`);
    // The replay window costs maxTxLifetimeMs of blocks (600 here), not the chain's 5,000.
    const windowBlocks = genesis.params.maxTxLifetimeMs / 1000;
    // Requests grow 1, 2, 4 ... 64 blocks (6 ramp-up requests), then 64 at a time.
    assert.ok(counts.sync <= Math.ceil(windowBlocks / 64) + 6, `sync requests ${counts.sync}`);
    const f = await follower(undefined, dir);
    try {
      assert.is(f.chain.head.height, 5000);
      assert.is(toHex(f.chain.head.stateRoot), toHex(source.head.stateRoot));
      assert.is(f.chain.earliestHeight, 5000);
      for (const h of [1, 50, 100, 4990]) {
        const v = f.chain.store.get(kvKey(utf8(`k${h}-0`)));
        assert.ok(v !== undefined && equal(v, source.store.get(kvKey(utf8(`k${h}-0`))) as Uint8Array), `k${h}-0`);
      }
      // A tx of block 4,990 is unexpired at the snapshot: it may never be included again.
      const recent = decodeBlock((await source.blocks.getBlock(4990)) as Uint8Array);
      const old = decodeBlock((await source.blocks.getBlock(100)) as Uint8Array);
      assert.is(recent.txs.length, 1);
      assert.ok(f.chain.isIncluded(decodeTx(recent.txs[0] as Uint8Array).hash));
      assert.not.ok(f.chain.isIncluded(decodeTx(old.txs[0] as Uint8Array).hash));
      await extendSource(source, 5);
      f.peers.set('good', {
        height: source.head.height,
        respond: (from, count) => honestPeer(source, server).sync(encode([from, count])),
      });
      f.sync.trigger();
      await waitFor(() => f.chain.head.height === 5005, 'head 5005', 30_000);
      assert.is(toHex(f.chain.head.stateRoot), toHex(source.head.stateRoot));
    } finally {
      await f.close();
    }
  } finally {
    await server.close();
    await source.close();
  }
});

/** Rewrites chunk responses of an honest server with `tamper(nodes, values)`. */
function forging(peer: Peer, tamper: (nodes: Uint8Array[], values: Uint8Array[]) => void): Peer {
  return {
    sync: peer.sync,
    snap: async (req, p) => {
      const res = await peer.snap(req, p);
      const r = decodeCanonical(req, 1 << 16) as unknown[];
      if (r.length === 1) return res;
      const [n, v] = asTuple(decodeCanonical(res, 1 << 24), 2, 'chunk');
      const nodes = asArray(n, 'n', 1 << 16) as Uint8Array[];
      const values = asArray(v, 'v', 1 << 20) as Uint8Array[];
      tamper(nodes, values);
      return encode([nodes, values]);
    },
  };
}

test('snapshot join: a chunk with a forged value is refused (SNAPSHOT_BAD_CHUNK), the peer penalised, another peer serves', async () => {
  const source = await buildSource(50, 3);
  const server = serverOf(source);
  try {
    const honest = honestPeer(source, server);
    const evil = forging(honest, (_n, values) => {
      if (values.length > 0) values[0] = utf8('forged');
    });
    const { dir, penalties } = await join(
      new Map([
        ['evil', evil],
        ['good', honest],
      ]),
    );
    assert.equal(penalties, [['evil', SnapshotErrorCode.BAD_CHUNK]]);
    const c = await ChainState.open({ dir, genesis, machine: kvMachine });
    try {
      assert.is(toHex(c.head.stateRoot), toHex(source.head.stateRoot));
    } finally {
      await c.close();
    }
  } finally {
    await server.close();
    await source.close();
  }
});

test('snapshot join: a chunk request that times out (a slow, loaded peer) is asked again, the join completes, no penalty', async () => {
  const source = await buildSource(50, 3);
  const server = serverOf(source);
  try {
    const honest = honestPeer(source, server);
    let calls = 0;
    const slow: Peer = {
      ...honest,
      // The first chunk request (after the manifest) times out once, as the last of 8 pipelined ones on a loaded server.
      snap: async (req, peer) => {
        if (++calls === 2) throw new P2pError(P2pErrorCode.REQUEST_TIMEOUT, { timeoutMs: 1 });
        return honest.snap(req, peer);
      },
    };
    const { dir, penalties } = await join(new Map([['slow', slow]]));
    assert.equal(penalties, []);
    const c = await ChainState.open({ dir, genesis, machine: kvMachine });
    try {
      assert.is(toHex(c.head.stateRoot), toHex(source.head.stateRoot));
    } finally {
      await c.close();
    }
    // A peer that never answers in time is given up after chunkAttempts tries: SNAPSHOT_NO_PEER, unpenalised.
    let chunkCalls = 0;
    const dead: Peer = {
      ...honest,
      snap: async (req, peer) => {
        if ((decodeCanonical(req, 1 << 16) as unknown[])[0] === 0) return honest.snap(req, peer);
        chunkCalls++;
        throw new P2pError(P2pErrorCode.REQUEST_TIMEOUT, { timeoutMs: 1 });
      },
    };
    const failed = await join(new Map([['dead', dead]]), genesis.validators, penalties).catch((e: unknown) => e);
    assert.ok(isCoded(failed, SnapshotErrorCode.NO_PEER), String(failed));
    assert.is(chunkCalls, defaultSnapshotJoinOptions.chunkAttempts);
    assert.equal(penalties, []);
  } finally {
    await server.close();
    await source.close();
  }
});

test('snapshot join: a forged node (flipped byte) and a dropped node are refused and penalised', async () => {
  const source = await buildSource(30, 3);
  const server = serverOf(source);
  try {
    const honest = honestPeer(source, server);
    const flip = forging(honest, (nodes) => {
      const last = nodes[nodes.length - 1] as Uint8Array;
      last[last.length - 1] = (last[last.length - 1] as number) ^ 1;
    });
    const drop = forging(honest, (nodes, values) => {
      // Drop the values of the first node: counts no longer match the leaves held.
      values.splice(0, 1);
      void nodes;
    });
    const { penalties } = await join(
      new Map([
        ['flip', flip],
        ['drop', drop],
        ['good', honest],
      ]),
    );
    assert.equal(penalties, [
      ['flip', SnapshotErrorCode.BAD_CHUNK],
      ['drop', SnapshotErrorCode.BAD_CHUNK],
    ]);
  } finally {
    await server.close();
    await source.close();
  }
});

test('snapshot join: a manifest whose certificate another key signed is refused (SNAPSHOT_BAD_MANIFEST) and penalised', async () => {
  const source = await buildSource(5, 1);
  const server = serverOf(source);
  try {
    const honest = honestPeer(source, server);
    const forged: Peer = {
      sync: honest.sync,
      snap: async (req, p) => {
        const res = await honest.snap(req, p);
        if ((decodeCanonical(req, 1 << 16) as unknown[]).length !== 1) return res;
        const m = decodeManifest(res);
        // A real certificate of another height relabelled: the signature does not hold.
        const other = signCert(m.height - 1, headerHash(decodeBlock(m.block).header));
        return encodeManifest({ ...m, cert: encodeCommit({ ...other, height: m.height }) });
      },
    };
    const { penalties } = await join(
      new Map([
        ['forged', forged],
        ['good', honest],
      ]),
    );
    assert.equal(penalties, [['forged', SnapshotErrorCode.BAD_MANIFEST]]);
  } finally {
    await server.close();
    await source.close();
  }
});

test('snapshot join: a certificate the trusted (genesis) validators do not vouch for is SNAPSHOT_UNTRUSTED, without penalty', async () => {
  const source = await buildSource(3, 1);
  const server = serverOf(source);
  try {
    const stranger = [{ pubkey: new Uint8Array(32).fill(5), power: 1 }];
    const m = decodeManifest(await server.manifest());
    const err = (() => {
      try {
        verifyManifest(m, { chainId: genesis.chainId, trusted: stranger, verifyVote });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(isCoded(err, SnapshotErrorCode.UNTRUSTED), String(err));
    const penalties: Array<[string, string]> = [];
    const failed = await join(new Map([['honest', honestPeer(source, server)]]), stranger, penalties).catch(
      (e: unknown) => e,
    );
    assert.ok(isCoded(failed, SnapshotErrorCode.NO_PEER), String(failed));
    assert.equal(penalties, []);
  } finally {
    await server.close();
    await source.close();
  }
});

test('snapshot join: with only a forging peer the join fails with SNAPSHOT_NO_PEER and the node refuses to start on the partial state', async () => {
  const source = await buildSource(5, 3);
  const server = serverOf(source);
  try {
    const evil = forging(honestPeer(source, server), (_n, values) => {
      if (values.length > 0) values[0] = utf8('x');
    });
    const err = await join(new Map([['evil', evil]])).catch((e: unknown) => e);
    assert.ok(isCoded(err, SnapshotErrorCode.NO_PEER), String(err));
    const dir = tmp('snap-partial');
    await (await ChainState.open({ dir, genesis, machine: kvMachine })).close();
    const db = await openDb(dir);
    await SnapshotWriter.begin(db);
    await db.close();
    const opened = await ChainState.open({ dir, genesis, machine: kvMachine }).catch((e: unknown) => e);
    assert.ok(isCoded(opened, SnapshotErrorCode.PARTIAL), String(opened));
  } finally {
    await server.close();
    await source.close();
  }
});

test('verifyChunk: checks size before decoding, and refuses an unrequested node or a wrong value count', async () => {
  const source = await buildSource(3, 2);
  const server = serverOf(source);
  try {
    await server.manifest();
    const root = source.head.stateRoot;
    const bytes = await server.chunk(source.head.height, [root]);
    const ok = verifyChunk([root], bytes, 1 << 20);
    assert.ok(ok.nodes.length >= 1 && ok.values.length >= 1);
    assert.ok(equal(ok.nodes[0]?.[0] as Uint8Array, root));
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'none';
      } catch (err) {
        return isCoded(err) ? `${err.code}:${String(err.meta.reason)}` : String(err);
      }
    };
    assert.is(
      code(() => verifyChunk([root], bytes, bytes.length - 1)),
      `${SnapshotErrorCode.BAD_CHUNK}:malformed`,
    );
    assert.is(
      code(() => verifyChunk([sha256(utf8('other'))], bytes, 1 << 20)),
      `${SnapshotErrorCode.BAD_CHUNK}:unexpected node`,
    );
    const [n, v] = decodeCanonical(bytes, 1 << 20) as [Uint8Array[], Uint8Array[]];
    assert.is(
      code(() => verifyChunk([root], encode([n, [...v, utf8('extra')]]), 1 << 20)),
      `${SnapshotErrorCode.BAD_CHUNK}:value count`,
    );
    assert.is(
      code(() => verifyChunk([root], encode([[], []]), 1 << 20)),
      `${SnapshotErrorCode.BAD_CHUNK}:empty`,
    );
    // The chunk server refuses heights it holds no snapshot of.
    const err = await server.chunk(1, [root]).catch((e: unknown) => e);
    assert.ok(isCoded(err, SnapshotErrorCode.UNAVAILABLE));
  } finally {
    await server.close();
    await source.close();
  }
});

test('snapshot server: chunks of one snapshot stay the same while the chain commits on', async () => {
  const source = await buildSource(4, 2);
  const server = serverOf(source);
  try {
    const m = decodeManifest(await server.manifest());
    const root = decodeBlock(m.block).header.stateRoot;
    const before = await server.chunk(m.height, [root]);
    await extendSource(source, 3);
    assert.not.ok(equal(source.head.stateRoot, root));
    assert.ok(equal(await server.chunk(m.height, [root]), before));
    verifyChunk([root], before, 1 << 20);
  } finally {
    await server.close();
    await source.close();
  }
});

test.run();
