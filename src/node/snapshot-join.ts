import { join } from 'node:path';
import { createHost, type P2pHost } from '../../p2p/host.js';
import { defaultSnapshotJoinOptions, joinBySnapshot, snapshotHandler, snapshotProtocol } from '../../p2p/snapshot.js';
import { defaultSyncOptions, syncProtocol } from '../../p2p/sync.js';
import { BlockStore } from '../../state/block-store.js';
import { ChainState } from '../../state/chain.js';
import type { StateMachine } from '../../state/exec/machine.js';
import { SnapshotServer } from '../../state/snapshot/server.js';
import { SnapshotWriter } from '../../state/snapshot/writer.js';
import { openDb } from '../../state/store/db.js';
import { type Genesis, genesisHash } from '../chain/genesis.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { verify } from '../crypto/ed25519.js';
import { isCoded } from '../errors.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../version.js';
import { defaultSnapshotConfig, type NodeConfig } from './config.js';
import type { Logger } from './logger.js';

/** Serves snapshots of this node's state to joining peers; returns the closer. */
export async function serveSnapshots(host: P2pHost, chain: ChainState): Promise<() => Promise<void>> {
  const server = new SnapshotServer({
    db: chain.db,
    head: () => chain.head,
    headValidators: () => chain.headValidators,
    now: Date.now,
  });
  await host.reqresp(snapshotProtocol(chain.chainId), snapshotHandler(server), {
    maxResponseBytes: defaultSnapshotJoinOptions.maxResponseBytes,
  });
  return () => server.close();
}

/**
 * Before the node opens its chain: a fresh node (or one whose join stopped
 * half way) with `snapshot.join` fetches a certified recent state from peers
 * over a short-lived host with the node's own peer key, then closes it; the
 * node starts from the snapshot height and follows with block sync.
 */
export async function joinBySnapshotIfFresh(o: {
  home: string;
  config: NodeConfig;
  genesis: Genesis;
  machine: StateMachine;
  log: Logger;
}): Promise<void> {
  const sc = { ...defaultSnapshotConfig, ...o.config.snapshot };
  if (!sc.join) return;
  const dir = join(o.home, 'db');
  const raw = await openDb(dir);
  const partial = SnapshotWriter.isPartial(raw);
  const head = new BlockStore(raw).readHead();
  await raw.close();
  if (!partial && head !== null && head.height > 0) return;
  // Genesis first (and its mismatch check), so a snapshot lands on a database of this chain.
  if (!partial) await (await ChainState.open({ dir, genesis: o.genesis, machine: o.machine })).close();
  const log = o.log.child({ module: 'snapshot' });
  const chainId = o.genesis.chainId;
  const host = await createHost(
    {
      chainId,
      dataDir: o.home,
      listen: o.config.p2p.listen,
      peers: o.config.p2p.peers,
      open: o.config.p2p.open,
      allowedPeers: o.config.p2p.allowedPeers,
    },
    {
      status: () => ({
        chainId,
        genesisHash: genesisHash(o.genesis),
        height: 0,
        protocol: PROTOCOL_VERSION,
        version: NODE_VERSION,
      }),
      log: log.child({ module: 'p2p' }),
    },
  );
  let db: Awaited<ReturnType<typeof openDb>> | undefined;
  try {
    const best = (): string[] =>
      [...host.peerHeights()]
        .filter(([, h]) => h >= sc.minHeight)
        .sort((a, b) => b[1] - a[1])
        .map(([p]) => p);
    const deadline = Date.now() + sc.waitPeersMs;
    while (best().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (best().length === 0) {
      if (partial) throw new Error('snapshot join unfinished and no peer serves one');
      log.info({ minHeight: sc.minHeight }, 'no peer at snapshot height: syncing blocks instead');
      return;
    }
    const rr = await host.reqresp(snapshotProtocol(chainId), null, {
      maxResponseBytes: defaultSnapshotJoinOptions.maxResponseBytes,
    });
    const syncRr = await host.reqresp(syncProtocol(chainId), null, {
      maxResponseBytes: defaultSyncOptions.maxResponseBytes,
    });
    const opened = await openDb(dir);
    db = opened;
    const t0 = Date.now();
    const r = await joinBySnapshot(
      {
        rr,
        syncRr,
        peers: best,
        chainId,
        trusted: o.genesis.validators,
        maxTxLifetimeMs: o.genesis.params.maxTxLifetimeMs,
        verifyVote: (pk, bytes, sig) => verify(sig, signingMessage(SignPurpose.VOTE, chainId, bytes), pk),
        writer: () => SnapshotWriter.begin(opened),
        penalise: (peer, code) => {
          log.warn({ peer, err: code }, 'peer served a forged snapshot');
          host.scorer.penalise(peer, 100);
        },
        log,
      },
      { ...defaultSnapshotJoinOptions, maxResponseBytes: defaultSyncOptions.maxResponseBytes },
    );
    log.info({ height: r.height, values: r.values, chunks: r.chunks, ms: Date.now() - t0 }, 'joined by snapshot');
  } catch (err) {
    log.error({ err: isCoded(err) ? err.code : String(err) }, 'snapshot join failed');
    throw err;
  } finally {
    await db?.close();
    await host.close();
  }
}
