import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { P2pHost } from '../../p2p/host.js';
import { addrOf, assertRefused, closeAll, rejects, testHost, waitFor } from './helpers.js';

const hosts: P2pHost[] = [];
test.after.each(() => closeAll(hosts));

test('permissioned mode refuses an unknown peer: no connection on either side', async () => {
  const known = await testHost({}, undefined, hosts);
  const unknown = await testHost({}, undefined, hosts);
  const node = await testHost({ open: false, allowedPeers: [known.peerId] }, undefined, hosts);
  await assertRefused(unknown, node);
  await known.dial(addrOf(node));
  await waitFor(() => node.peerHeights().has(known.peerId), 'status with the known peer');
  assert.equal(node.connectedPeers(), [known.peerId]);
});

test('permissioned mode does not dial a peer outside the allowlist', async () => {
  const other = await testHost({}, undefined, hosts);
  const node = await testHost({ open: false, allowedPeers: [] }, undefined, hosts);
  await rejects(node.dial(addrOf(other)));
  assert.equal(node.connectedPeers(), []);
});

test('open mode admits an unknown peer', async () => {
  const node = await testHost({ open: true }, undefined, hosts);
  const stranger = await testHost({}, undefined, hosts);
  await stranger.dial(addrOf(node));
  await waitFor(() => node.peerHeights().has(stranger.peerId), 'status with the stranger');
  assert.ok(node.connectedPeers().includes(stranger.peerId));
});

test('setAllowed drops connected peers that leave the allowlist and refuses them afterwards', async () => {
  const a = await testHost({}, undefined, hosts);
  const node = await testHost({ open: false, allowedPeers: [a.peerId] }, undefined, hosts);
  await a.dial(addrOf(node));
  await waitFor(() => node.connectedPeers().includes(a.peerId), 'connection');
  node.setAllowed([]);
  await waitFor(() => !node.connectedPeers().includes(a.peerId), 'disconnect');
  await assertRefused(a, node);
});

test('a static peer is connected at start and redialled after it drops', async () => {
  const target = await testHost({}, undefined, hosts);
  let opens = 0;
  target.libp2p.addEventListener('connection:open', () => opens++);
  const node = await testHost({ peers: [addrOf(target)], reconnectBaseMs: 20, reconnectMaxMs: 200 }, undefined, hosts);
  await waitFor(() => opens === 1 && node.connectedPeers().includes(target.peerId), 'first connection');
  await target.disconnect(node.peerId);
  await waitFor(() => opens === 2 && node.connectedPeers().includes(target.peerId), 'reconnection');
});

test.run();
