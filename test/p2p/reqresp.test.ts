import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { P2pErrorCode } from '../../p2p/errors.js';
import type { P2pHost } from '../../p2p/host.js';
import type { RequestHandler } from '../../p2p/reqresp.js';
import { equal } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isCoded, MedchainError } from '../../src/errors.js';
import { addrOf, closeAll, rejects, testHost, waitFor } from './helpers.js';

const PROTO = '/medchain/test-sync/1';
const hosts: P2pHost[] = [];
test.after.each(() => closeAll(hosts));

async function pair(handler: RequestHandler, limits = {}) {
  const server = await testHost({}, undefined, hosts);
  const client = await testHost({}, undefined, hosts);
  await server.reqresp(
    PROTO,
    (req, peer) => {
      assert.is(peer, client.peerId);
      return handler(req, peer);
    },
    limits,
  );
  const rr = await client.reqresp(PROTO, null, limits);
  await client.dial(addrOf(server));
  await waitFor(() => client.peerHeights().has(server.peerId), 'status');
  const streams = () =>
    client.libp2p
      .getConnections()
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === PROTO).length;
  return { server, client, rr, streams };
}

// Answers in reverse arrival order for some requests, to prove ids (not order) match responses.
const hashHandler: RequestHandler = async (req) => {
  if ((req[0] as number) % 2 === 0) await new Promise((r) => setImmediate(r));
  return sha256(req);
};

test('many concurrent requests on one pipelined stream all get their own answers', async () => {
  const { server, rr, streams } = await pair(hashHandler, { maxInFlight: 500 });
  const reqs = Array.from({ length: 500 }, (_, i) => Uint8Array.of(i % 256, i >> 8, 1, 2, 3));
  const res = await Promise.all(reqs.map((r) => rr.request(server.peerId, r)));
  res.forEach((r, i) => {
    assert.ok(equal(r, sha256(reqs[i] as Uint8Array)), `response ${i}`);
  });
  assert.is(streams(), 1, 'one long-lived stream');
  assert.is(rr.openChannels(), 1);
});

test('a request above maxRequestBytes is refused locally: REQUEST_TOO_LARGE', async () => {
  const { server, rr } = await pair(hashHandler, { maxRequestBytes: 100 });
  const err = await rejects(rr.request(server.peerId, new Uint8Array(101)));
  assert.ok(isCoded(err, P2pErrorCode.REQUEST_TOO_LARGE));
  assert.is((await rr.request(server.peerId, new Uint8Array(100))).length, 32);
});

test('a response above maxResponseBytes is replaced by a RESPONSE_TOO_LARGE error', async () => {
  const { server, rr } = await pair(async (req) => new Uint8Array(req[0] as number), { maxResponseBytes: 64 });
  const err = await rejects(rr.request(server.peerId, Uint8Array.of(65)));
  assert.ok(isCoded(err, P2pErrorCode.REMOTE_ERROR));
  assert.is((err as MedchainError).meta.remoteCode, P2pErrorCode.RESPONSE_TOO_LARGE);
  assert.is((await rr.request(server.peerId, Uint8Array.of(64))).length, 64);
});

test('the server aborts a stream carrying an oversized frame; the client reopens a stream afterwards', async () => {
  const server = await testHost({}, undefined, hosts);
  const client = await testHost({}, undefined, hosts);
  await server.reqresp(PROTO, hashHandler, { maxRequestBytes: 100 });
  const rr = await client.reqresp(PROTO, null, { maxRequestBytes: 10_000 });
  await client.dial(addrOf(server));
  const err = await rejects(rr.request(server.peerId, new Uint8Array(5000)));
  assert.ok(isCoded(err, P2pErrorCode.STREAM_CLOSED));
  const res = await rr.request(server.peerId, Uint8Array.of(1));
  assert.ok(equal(res, sha256(Uint8Array.of(1))));
});

test('a handler error reaches the requester as REMOTE_ERROR with its code; others become INTERNAL', async () => {
  const { server, rr } = await pair(async (req) => {
    if (req[0] === 1) throw new MedchainError('SYNC_RANGE_TOO_LARGE');
    throw new Error('secret details stay on the server');
  });
  const coded = await rejects(rr.request(server.peerId, Uint8Array.of(1)));
  assert.is((coded as MedchainError).meta.remoteCode, 'SYNC_RANGE_TOO_LARGE');
  const other = await rejects(rr.request(server.peerId, Uint8Array.of(2)));
  assert.is((other as MedchainError).meta.remoteCode, 'INTERNAL');
});

test('an unanswered request fails with REQUEST_TIMEOUT and the stream stays usable', async () => {
  const { server, rr, streams } = await pair(async (req) => {
    if (req[0] === 0) return new Promise<Uint8Array>(() => {});
    return req;
  });
  const err = await rejects(rr.request(server.peerId, Uint8Array.of(0), { timeoutMs: 50 }));
  assert.ok(isCoded(err, P2pErrorCode.REQUEST_TIMEOUT));
  assert.equal([...(await rr.request(server.peerId, Uint8Array.of(5)))], [5]);
  assert.is(streams(), 1);
});

test('more than maxInFlight outstanding requests to one peer: BUSY', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const { server, rr } = await pair(
    async (req) => {
      await gate;
      return req;
    },
    { maxInFlight: 4 },
  );
  const first = Array.from({ length: 4 }, (_, i) => rr.request(server.peerId, Uint8Array.of(i)));
  const err = await rejects(rr.request(server.peerId, Uint8Array.of(9)));
  assert.ok(isCoded(err, P2pErrorCode.BUSY));
  release();
  assert.equal(
    (await Promise.all(first)).map((r) => r[0]),
    [0, 1, 2, 3],
  );
});

test('pending requests fail with STREAM_CLOSED when the peer goes away', async () => {
  let arrived: () => void = () => {};
  const served = new Promise<void>((r) => (arrived = r));
  const { server, client, rr } = await pair(() => {
    arrived();
    return new Promise<Uint8Array>(() => {});
  });
  const outcome = rr.request(server.peerId, Uint8Array.of(1)).catch((e: unknown) => e);
  await served;
  await client.disconnect(server.peerId);
  assert.ok(isCoded(await outcome, P2pErrorCode.STREAM_CLOSED));
});

test.run();
