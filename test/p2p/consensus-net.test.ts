import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeProposal, encodeVote } from '../../consensus/engine/messages.js';
import type { Proposal, Vote } from '../../consensus/engine/types.js';
import { ConsensusNet } from '../../p2p/consensus-net.js';
import { P2pError, P2pErrorCode } from '../../p2p/errors.js';
import type { TopicHandlers } from '../../p2p/gossip.js';
import type { P2pHost } from '../../p2p/host.js';
import { GossipReason, type Validation, verdictOf } from '../../p2p/validation.js';
import { block, hashOf, keyring, prevote, proposal, set } from '../consensus/helpers.js';

/** ConsensusNet over a fake host: the test plays gossipsub, calling the topic validators directly. */
function net(opts: { head?: number; now?: () => number } = {}) {
  const handlers = new Map<string, TopicHandlers>();
  const host = {
    topics: { tx: 'tx', proposal: 'proposal', vote: 'vote' },
    gossip: { subscribe: (t: string, h: TopicHandlers) => handlers.set(t, h), publish: async () => 0 },
  } as unknown as P2pHost;
  const got = { proposals: [] as Proposal[], votes: [] as Vote[], syncs: 0, verified: 0 };
  const n = new ConsensusNet(
    { maxProposalBytes: 1 << 20 },
    {
      host,
      headHeight: () => opts.head ?? 0,
      validatorSet: () => set,
      verify: async (pk, bytes, sig) => {
        got.verified++;
        return keyring.verify(pk, bytes, sig);
      },
      hashBlock: hashOf,
      requestSync: () => got.syncs++,
      ...(opts.now ? { now: opts.now } : {}),
    },
  );
  n.attach({ proposal: (p) => got.proposals.push(p), vote: (v) => got.votes.push(v) });
  const send = (topic: string, payload: Uint8Array, seq: number): Promise<Validation> => {
    const msg = new Uint8Array(payload.length + 4);
    msg.set(payload);
    new DataView(msg.buffer).setUint32(payload.length, seq);
    return Promise.resolve((handlers.get(topic) as TopicHandlers).validate?.(msg, 'peer') as Validation);
  };
  return {
    n,
    got,
    vote: (v: Vote, seq = 0) => send('vote', encodeVote(v), seq),
    proposal: (p: Proposal, seq = 0) => send('proposal', encodeProposal(p), seq),
  };
}

const X = block('x');
const hX = hashOf(X);

test('consensus gossip: a valid vote re-sealed with a new sequence suffix is not verified or forwarded again', async () => {
  const t = net();
  const v = prevote(1, 1, 0, hX);
  assert.is(await t.vote(v, 1), 'accept');
  assert.is(await t.vote(v, 2), GossipReason.DUPLICATE);
  assert.is(await t.vote(v, 3), GossipReason.DUPLICATE);
  assert.is(verdictOf(GossipReason.DUPLICATE), 'ignore', 'ignored: gossipsub does not forward it');
  assert.is(t.got.verified, 1);
  assert.is(t.got.votes.length, 1, 'delivered once, as decoded by validation');
});

test('consensus gossip: a copy after the seen TTL is verified and forwarded once more (partition healing)', async () => {
  let now = 0;
  const t = net({ now: () => now });
  const v = prevote(1, 1, 0, hX);
  assert.is(await t.vote(v, 1), 'accept');
  now += 1_000;
  assert.is(await t.vote(v, 2), 'accept');
  assert.is(t.got.verified, 2);
});

test('consensus gossip: a bad vote signature for the next height is rejected; a wrong signer index too', async () => {
  const t = net();
  const v = prevote(1, 1, 0, hX);
  assert.is(await t.vote({ ...v, signature: prevote(2, 1, 0, hX).signature }), GossipReason.BAD_SIGNATURE);
  assert.is(await t.vote({ ...v, validatorIndex: 9 }), GossipReason.WRONG_SIGNER);
  assert.is(t.got.votes.length, 0);
});

test('consensus gossip: votes two or more heights ahead ask for sync and cost no signature check', async () => {
  const t = net();
  assert.is(await t.vote(prevote(1, 3, 0, hX)), GossipReason.OUTSIDE_WINDOW);
  assert.is(await t.vote(prevote(1, 50, 0, hX)), GossipReason.OUTSIDE_WINDOW);
  assert.is(t.got.verified, 0);
  assert.ok(t.got.syncs >= 2);
  // One ahead is kept (the engine buffers it) but never penalised.
  assert.is(await t.vote({ ...prevote(1, 2, 0, hX), signature: new Uint8Array(64) }), GossipReason.UNJUDGEABLE);
  assert.is(verdictOf(GossipReason.UNJUDGEABLE), 'ignore');
});

test('consensus gossip: a signed proposal whose body was swapped is rejected BAD_BODY and never delivered', async () => {
  const t = net();
  const p = proposal(1, 1, 0, X); // proposer of (1, 0) is 1
  assert.is(await t.proposal({ ...p, block: block('y') }), GossipReason.BAD_BODY);
  assert.is(t.got.proposals.length, 0);
  assert.is(await t.proposal(p), 'accept', 'the real body is not shadowed by the swapped one');
  assert.is(await t.proposal(p, 9), GossipReason.DUPLICATE);
  assert.is(t.got.proposals.length, 1);
  assert.is(t.got.verified, 2);
});

test("consensus gossip: a proposal from a validator that is not the round's proposer is rejected", async () => {
  const t = net();
  assert.is(await t.proposal(proposal(2, 1, 0, X)), GossipReason.WRONG_SIGNER);
  assert.is(t.got.verified, 0);
});

test('consensus gossip: a failed publish (GOSSIP_TOO_LARGE) is reported, never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => {
    unhandled.push(err);
  };
  process.on('unhandledRejection', onUnhandled);
  const errors: unknown[] = [];
  const host = {
    topics: { tx: 'tx', proposal: 'proposal', vote: 'vote' },
    gossip: {
      subscribe: () => {},
      publish: async () => {
        throw new P2pError(P2pErrorCode.GOSSIP_TOO_LARGE);
      },
    },
  } as unknown as P2pHost;
  const n = new ConsensusNet(
    { maxProposalBytes: 1 << 20 },
    {
      host,
      headHeight: () => 0,
      validatorSet: () => set,
      verify: async () => true,
      hashBlock: hashOf,
      requestSync: () => {},
      onError: (err) => errors.push(err),
    },
  );
  n.broadcastProposal(proposal(1, 1, 0, X));
  n.broadcastVote(prevote(1, 1, 0, hX));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', onUnhandled);
  assert.is(errors.length, 2);
  assert.equal(unhandled, []);
});

test.run();
