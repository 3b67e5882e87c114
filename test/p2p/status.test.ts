import { noise } from '@chainsafe/libp2p-noise';
import type { Libp2p } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { P2pErrorCode } from '../../p2p/errors.js';
import type { P2pHost } from '../../p2p/host.js';
import { decodeStatus, encodeStatus } from '../../p2p/status.js';
import { encode } from '../../src/codec/cbor.js';
import { isCoded } from '../../src/errors.js';
import { addrOf, assertRefused, CHAIN, closeAll, GENESIS, rejects, statusOf, testHost, waitFor } from './helpers.js';

const hosts: P2pHost[] = [];
test.after.each(() => closeAll(hosts));

test("both sides learn each other's height from the handshake", async () => {
  const a = await testHost({}, statusOf(3), hosts);
  const b = await testHost({}, statusOf(7), hosts);
  const seen: Array<[string, number]> = [];
  a.status.onStatus((peer, s) => seen.push([peer, s.height]));
  await a.dial(addrOf(b));
  await waitFor(() => a.peerHeights().get(b.peerId) === 7 && b.peerHeights().get(a.peerId) === 3, 'heights');
  assert.equal(seen, [[b.peerId, 7]]);
});

test("refresh picks up a peer's new height; notePeerHeight only moves forward", async () => {
  let height = 1;
  const a = await testHost({}, statusOf(0), hosts);
  const b = await testHost({}, () => ({ chainId: CHAIN, genesisHash: GENESIS, height }), hosts);
  await a.dial(addrOf(b));
  await waitFor(() => a.peerHeights().get(b.peerId) === 1, 'first height');
  height = 42;
  const s = await a.status.refresh(b.peerId);
  assert.is(s?.height, 42);
  a.status.notePeerHeight(b.peerId, 40);
  assert.is(a.peerHeights().get(b.peerId), 42);
  a.status.notePeerHeight(b.peerId, 50);
  assert.is(a.peerHeights().get(b.peerId), 50);
});

test('a peer with another genesis hash is disconnected and banned on both sides', async () => {
  const a = await testHost({}, statusOf(1), hosts);
  const x = await testHost({}, statusOf(1, new Uint8Array(32).fill(9)), hosts);
  await x.dial(addrOf(a)).catch(() => {});
  await waitFor(() => a.gater.banRemaining(x.peerId) > 0 && x.gater.banRemaining(a.peerId) > 0, 'bans');
  await waitFor(() => !a.connectedPeers().includes(x.peerId) && !x.connectedPeers().includes(a.peerId), 'disconnect');
  assert.not.ok(a.peerHeights().has(x.peerId));
  // No reconnection either way.
  await assertRefused(x, a);
  await rejects(a.dial(addrOf(x)));
});

test('a peer with another chain id is disconnected and banned', async () => {
  const a = await testHost({}, statusOf(1), hosts);
  const x = await testHost({ chainId: 'other' }, statusOf(1, GENESIS, 'other'), hosts);
  await a.dial(addrOf(x)).catch(() => {});
  await waitFor(() => a.gater.banRemaining(x.peerId) > 0, 'ban');
  await waitFor(() => !a.connectedPeers().includes(x.peerId), 'disconnect');
});

/** A libp2p node that speaks no /medchain/status/1. */
async function bareNode() {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
  bare.push(node);
  return node;
}
const bare: Libp2p[] = [];
test.after.each(async () => {
  for (const n of bare.splice(0)) await n.stop();
});

test('a peer that never sends its status is disconnected (inbound), as is one that cannot answer (outbound)', async () => {
  const a = await testHost({ statusTimeoutMs: 200 }, statusOf(1), hosts);
  const mute = await bareNode();
  await mute.dial(multiaddr(addrOf(a)));
  await waitFor(() => a.connectedPeers().includes(mute.peerId.toString()), 'inbound connection');
  await waitFor(() => !a.connectedPeers().includes(mute.peerId.toString()), 'inbound close');

  const deaf = await bareNode();
  await a.dial(deaf.getMultiaddrs()[0]!.toString()).catch(() => {});
  await waitFor(
    () => deaf.getPeers().length === 0 && !a.connectedPeers().includes(deaf.peerId.toString()),
    'outbound close',
  );
  assert.not.ok(a.peerHeights().has(mute.peerId.toString()) || a.peerHeights().has(deaf.peerId.toString()));
  // Not a ban: an unresponsive peer may be fine after a restart.
  assert.is(a.gater.banRemaining(mute.peerId.toString()), 0);
});

test('status codec round trips and rejects malformed input with STATUS_MALFORMED', () => {
  const s = { chainId: CHAIN, genesisHash: GENESIS, height: 12 };
  assert.equal(decodeStatus(encodeStatus(s)), s);
  for (const bad of [
    encode([CHAIN, GENESIS]),
    encode([CHAIN, new Uint8Array(31), 1]),
    encode([CHAIN, GENESIS, -1]),
    encode(['x'.repeat(65), GENESIS, 1]),
    new Uint8Array(300),
  ]) {
    let err: unknown;
    try {
      decodeStatus(bad);
    } catch (e) {
      err = e;
    }
    assert.ok(isCoded(err, P2pErrorCode.STATUS_MALFORMED));
  }
});

test.run();
