import { PROTOCOL_VERSION } from '../../src/version.js';
import '../../src/polyfill.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeBundle } from '../../p2p/bundle.js';
import { createHost, type P2pHost } from '../../p2p/host.js';
import { fromHex } from '../../src/codec/bytes.js';
import { addFullNode, rpc, sleep, TestNet, until } from '../helpers/procs.js';

let net: TestNet;
let other: TestNet;

test.before(async () => {
  net = await TestNet.create(1, 200);
  await addFullNode(net, 'flooder');
  net.start(0);
  await net.waitHeight(0, 2);
  other = await TestNet.create(1, 200);
});
test.after(async () => {
  await net?.close();
  await other?.close();
});

const validatorAddr = async (): Promise<string> => {
  const cfg = JSON.parse(await readFile(join(net.nodes[0]?.home as string, 'config.json'), 'utf8'));
  return `${cfg.p2p.listen[0]}/p2p/${cfg.p2p.allowedPeers[0]}`;
};

const peersOf = async (url: string): Promise<string[]> =>
  (await rpc<Array<{ peerId: string }>>(url, 'net_peers')).map((p) => p.peerId);

test('a peer of another chain (different genesis) and an unknown peer in permissioned mode are refused', async () => {
  // The other devnet's validator is told to connect to ours.
  const otherCfgFile = join(other.nodes[0]?.home as string, 'config.json');
  const cfg = JSON.parse(await readFile(otherCfgFile, 'utf8'));
  cfg.p2p.peers = [await validatorAddr()];
  await (await import('node:fs/promises')).writeFile(otherCfgFile, JSON.stringify(cfg));
  other.start(0);
  await other.waitHeight(0, 1);
  // Refusal is an absence (no peer appears), observed over a window rather than polled.
  await sleep(2000);
  assert.equal(await peersOf(other.nodes[0]?.rpc as string), [], 'foreign node has no peers');
  assert.not.ok(
    (await peersOf(net.nodes[0]?.rpc as string)).includes(cfg.p2p.allowedPeers[0]),
    'validator did not admit it',
  );
});

test('a peer that floods invalid transactions is penalised and disconnected while blocks keep finalizing', async () => {
  const flooder = net.nodes[1];
  const status = await rpc<{ chainId: string; genesisHash: string }>(net.nodes[0]?.rpc as string, 'chain_getStatus');
  let host: P2pHost | undefined;
  try {
    host = await createHost(
      {
        chainId: status.chainId,
        dataDir: flooder?.home as string,
        peers: [await validatorAddr()],
        allowedPeers: [],
        open: true,
      },
      {
        status: () => ({
          chainId: status.chainId,
          genesisHash: fromHex(status.genesisHash.slice(2)),
          height: 0,
          protocol: PROTOCOL_VERSION,
        }),
      },
    );
    host.gossip.subscribe(host.topics.tx, {});
    const me = host.peerId.toString();
    await until('flooder connected', 10_000, async () =>
      (await peersOf(net.nodes[0]?.rpc as string)).includes(me) ? true : undefined,
    );
    await until('gossip mesh', 10_000, async () => (host?.gossip.meshPeers(host.topics.tx).length ? true : undefined));
    const before = await net.height(0);
    let n = 0;
    // Distinct bundles of malformed transactions (gossip drops repeats of identical content).
    const garbage = (): Uint8Array =>
      encodeBundle(
        Array.from({ length: 50 }, (_, i) => new Uint8Array([0x82, 0x41, i, 0x42, n & 0xff, (n++ >> 8) & 0xff])),
      );
    await until('flooder disconnected', 20_000, async () => {
      // Rejected once no mesh peer is left to publish to: expected at the end.
      await host?.gossip.publish(host.topics.tx, garbage()).catch(() => 0);
      await sleep(50);
      return (await peersOf(net.nodes[0]?.rpc as string)).includes(me) ? undefined : true;
    });
    await net.waitHeight(0, before + 3);
  } finally {
    await host?.close();
  }
});

test.run();
