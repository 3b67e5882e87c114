import '../../src/polyfill.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHost, type P2pHost } from '../../p2p/host.js';
import type { P2pLogger } from '../../p2p/logger.js';
import { type ChainStatus, decodeStatus, encodeStatus } from '../../p2p/status.js';
import { NODE_VERSION, PROTOCOL_VERSION } from '../../src/version.js';
import { addrOf, CHAIN, closeAll, GENESIS, waitFor } from '../p2p/helpers.js';

const hosts: P2pHost[] = [];
test.after.each(() => closeAll(hosts));

const status =
  (protocol: number, height = 1): (() => ChainStatus) =>
  () => ({ chainId: CHAIN, genesisHash: GENESIS, height, protocol, version: NODE_VERSION });

async function host(protocol: number, lines: Array<[object, string]> = []): Promise<P2pHost> {
  const log: P2pLogger = { debug: () => {}, info: () => {}, warn: (o, m) => lines.push([o, m]) };
  const h = await createHost({ chainId: CHAIN, open: true, gossipHeartbeatMs: 100 }, { status: status(protocol), log });
  hosts.push(h);
  return h;
}

test('status carries the protocol and node version; a status from before versions still decodes', () => {
  const s = status(PROTOCOL_VERSION, 5)();
  assert.equal(decodeStatus(encodeStatus(s)), s);
  const legacy = decodeStatus(encodeStatus({ chainId: CHAIN, genesisHash: GENESIS, height: 5 }));
  assert.is(legacy.protocol, undefined);
});

test('peers of the same protocol exchange heights', async () => {
  const a = await host(PROTOCOL_VERSION);
  const b = await host(PROTOCOL_VERSION);
  await a.dial(addrOf(b));
  await waitFor(() => a.peerHeights().get(b.peerId) === 1, 'height');
});

test('a peer with another protocol version is refused and banned, with a clear log line', async () => {
  const lines: Array<[object, string]> = [];
  const a = await host(PROTOCOL_VERSION, lines);
  const x = await host(PROTOCOL_VERSION + 1);
  await x.dial(addrOf(a)).catch(() => {});
  await waitFor(() => a.gater.banRemaining(x.peerId) > 0, 'ban');
  await waitFor(() => !a.connectedPeers().includes(x.peerId), 'disconnect');
  assert.not.ok(a.peerHeights().has(x.peerId));
  const line = lines.find(([, m]) => m.includes('incompatible protocol'));
  assert.ok(line, 'logged');
  assert.is((line?.[0] as { peerProtocol?: number } | undefined)?.peerProtocol, PROTOCOL_VERSION + 1);
});

test.run();
