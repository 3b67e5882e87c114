import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBundle, encodeBundle } from '../../p2p/bundle.js';
import { P2pErrorCode } from '../../p2p/errors.js';
import { gossipTopic } from '../../p2p/gossip.js';
import type { P2pHost } from '../../p2p/host.js';
import { GossipReason, type Validation } from '../../p2p/validation.js';
import { isCoded } from '../../src/errors.js';
import { addrOf, assertRefused, closeAll, rejects, testHost, waitFor } from './helpers.js';

const hosts: P2pHost[] = [];
test.after.each(() => closeAll(hosts));

const LIMITS = { maxItems: 500, maxItemBytes: 1024 };
const INVALID = 0xff;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Valid = a bundle whose items do not start with 0xff. */
function validate(data: Uint8Array): Validation {
  try {
    return decodeBundle(data, LIMITS).some((i) => i[0] === INVALID) ? GossipReason.INVALID_TX : 'accept';
  } catch {
    return GossipReason.MALFORMED;
  }
}

interface Node {
  host: P2pHost;
  validated: Array<[string, string]>;
  delivered: Array<[string, string]>;
}

async function node(opts: { validator?: boolean } = {}): Promise<Node> {
  const host = await testHost({ rejectPenalty: 10, banThreshold: -100 }, undefined, hosts);
  const n: Node = { host, validated: [], delivered: [] };
  host.gossip.subscribe(host.topics.tx, {
    validate:
      opts.validator === false
        ? undefined
        : (d, from) => {
            n.validated.push([hex(d), from]);
            return validate(d);
          },
    onMessage: (d, from) => n.delivered.push([hex(d), from]),
  });
  return n;
}

async function line(...ns: Node[]): Promise<void> {
  for (let i = 1; i < ns.length; i++) await ns[i]!.host.dial(addrOf(ns[i - 1]!.host));
  const topic = ns[0]!.host.topics.tx;
  await waitFor(
    () =>
      ns.every((n, i) => {
        const mesh = n.host.gossip.meshPeers(topic);
        return (
          (i === 0 || mesh.includes(ns[i - 1]!.host.peerId)) &&
          (i === ns.length - 1 || mesh.includes(ns[i + 1]!.host.peerId))
        );
      }),
    'mesh along the line',
  );
}

test('topic names are per chain and per kind', () => {
  assert.is(gossipTopic('c1', 'tx'), '/medchain/c1/tx/1');
  assert.is(gossipTopic('c1', 'proposal'), '/medchain/c1/proposal/1');
  assert.is(gossipTopic('c1', 'vote'), '/medchain/c1/vote/1');
});

test('gossip travels A→B→C, validated at each hop', async () => {
  const a = await node();
  const b = await node();
  const c = await node();
  await line(a, b, c);
  const msg = encodeBundle([Uint8Array.of(1, 2, 3), Uint8Array.of(4)]);
  await a.host.gossip.publish(a.host.topics.tx, msg);
  await waitFor(() => c.delivered.length === 1, 'delivery at C');
  assert.equal(b.validated, [[hex(msg), a.host.peerId]]);
  assert.equal(c.validated, [[hex(msg), b.host.peerId]]);
  assert.equal(c.delivered, [[hex(msg), b.host.peerId]]);
  assert.equal(a.delivered, [], 'own publishes are not delivered back');
});

test('a rejected message is not forwarded and costs the sender score', async () => {
  const a = await node({ validator: false });
  const b = await node();
  const c = await node();
  await line(a, b, c);
  const bad = encodeBundle([Uint8Array.of(INVALID)]);
  const good = encodeBundle([Uint8Array.of(1)]);
  await a.host.gossip.publish(a.host.topics.tx, bad);
  await waitFor(() => b.host.scorer.score(a.host.peerId) < 0, 'penalty at B');
  await a.host.gossip.publish(a.host.topics.tx, good);
  await waitFor(() => c.delivered.length === 1, 'good message at C');
  assert.equal(
    c.validated.map(([m]) => m),
    [hex(good)],
    'C never saw the rejected one',
  );
  assert.is(Math.round(b.host.scorer.score(a.host.peerId)), -10, 'one rejection (scores fade slowly)');
  assert.is(b.host.scorer.score(c.host.peerId), 0);
});

test('a flooder of invalid messages is disconnected and banned while honest traffic continues', async () => {
  const honest = await node();
  const b = await node();
  const c = await node();
  const flooder = await node({ validator: false });
  await line(honest, b, c);
  await flooder.host.dial(addrOf(b.host));
  await waitFor(() => b.host.gossip.meshPeers(b.host.topics.tx).includes(flooder.host.peerId), 'flooder in mesh');

  for (let i = 0; i < 30 && b.host.gater.banRemaining(flooder.host.peerId) === 0; i++) {
    await flooder.host.gossip.publish(flooder.host.topics.tx, encodeBundle([Uint8Array.of(INVALID, i)]));
  }
  await waitFor(() => b.host.gater.banRemaining(flooder.host.peerId) > 0, 'ban');
  await waitFor(() => !b.host.connectedPeers().includes(flooder.host.peerId), 'disconnect');
  await assertRefused(flooder.host, b.host);

  const good = encodeBundle([Uint8Array.of(7, 7)]);
  await honest.host.gossip.publish(honest.host.topics.tx, good);
  await waitFor(() => c.delivered.some(([m]) => m === hex(good)), 'honest message at C');
  assert.ok(
    c.validated.every(([m]) => m === hex(good)),
    'no invalid message reached C',
  );
  assert.ok(b.host.connectedPeers().includes(honest.host.peerId));
});

test('publish refuses a message above maxGossipBytes: GOSSIP_TOO_LARGE', async () => {
  const h = await testHost({ maxGossipBytes: 100 }, undefined, hosts);
  const err = await rejects(h.gossip.publish(h.topics.tx, new Uint8Array(101)));
  assert.ok(isCoded(err, P2pErrorCode.GOSSIP_TOO_LARGE));
});

test('a validator that throws drops the message without penalising the peer', async () => {
  const a = await node({ validator: false });
  const b = await testHost({}, undefined, hosts);
  const delivered: Uint8Array[] = [];
  let calls = 0;
  b.gossip.subscribe(b.topics.tx, {
    validate: (d) => {
      calls++;
      if (d[0] === 0) throw new Error('bug');
      return 'accept';
    },
    onMessage: (d) => delivered.push(d),
  });
  await b.dial(addrOf(a.host));
  await waitFor(
    () =>
      a.host.gossip.meshPeers(a.host.topics.tx).includes(b.peerId) &&
      b.gossip.meshPeers(b.topics.tx).includes(a.host.peerId),
    'mesh',
  );
  await a.host.gossip.publish(a.host.topics.tx, Uint8Array.of(0));
  await a.host.gossip.publish(a.host.topics.tx, Uint8Array.of(1));
  await waitFor(() => delivered.length === 1, 'second message');
  assert.is(calls, 2);
  assert.equal([...(delivered[0] as Uint8Array)], [1]);
  assert.is(b.scorer.score(a.host.peerId), 0);
});

test.run();
