/**
 * Governance proposals expire (chain parameter proposalTtlBlocks): a vote past the expiry height
 * is EXPIRED, so a stale proposal can never be approved and activate; expired proposals become
 * tombstones and are deleted, and each validator has a bounded number open, so state stays bounded
 * whatever validators send.
 */
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_MAX_VALIDATORS,
  DEFAULT_PROPOSAL_TTL_BLOCKS,
  encodeGenesis,
  type Genesis,
  identityId,
  proposalTtlBlocks,
} from '../../../src/chain/genesis.js';
import type { Tx } from '../../../src/chain/tx.js';
import { decodeCanonical } from '../../../src/codec/cbor.js';
import { isCoded } from '../../../src/errors.js';
import { proposeOrganization } from '../../../src/tx/builders.js';
import { ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { MAX_OPEN_PROPOSALS } from '../../../state/domain/governance.js';
import { identityKey, NS, proposalKey } from '../../../state/domain/keys.js';
import { GenesisErrorCode } from '../../../state/domain/medical-machine.js';
import { decodeProposal, ProposalStatus } from '../../../state/domain/values.js';
import { type Actor, actor, expectFailed, expectOk, TestChain, testParams } from './helpers.js';

const test = suite('governance expiry');

const TTL = 4;
const params = () => ({ ...testParams({}, 2), proposalTtlBlocks: TTL });
const open = () => TestChain.open({ orgs: 4, validators: 4, params: params() });

/** A new organization proposed by `by` (ADD_ORGANIZATION: approval registers it, the set stays). */
const propose = (c: TestChain, by: Actor, name: string): Tx => {
  const org = actor(name);
  return c.sign(proposeOrganization(c.env(by), org.pk, org.sign, 'Clinic'), by.sk);
};
const vote = (c: TestChain, by: Actor, p: Tx): Tx => c.tx(TxKind.VOTE_VALIDATOR_CHANGE, by, { proposal: p.hash });
const stored = (c: TestChain, p: Tx) => {
  const v = c.store.get(proposalKey(p.hash));
  return v === undefined ? undefined : decodeProposal(v);
};
const registered = (c: TestChain, name: string): boolean =>
  c.store.get(identityKey(identityId(actor(name).pk))) !== undefined;
const blocks = async (c: TestChain, n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await c.block([]);
};

test('a vote past proposalTtlBlocks is refused EXPIRED; the proposal is never approved nor activated', async () => {
  const c = await open();
  try {
    const [v0, v1, v2] = c.orgs as [Actor, Actor, Actor];
    const p = propose(c, v0, 'late');
    expectOk(await c.run(p));
    const proposedAt = c.height;
    assert.is(stored(c, p)?.expires, proposedAt + TTL);
    expectOk(await c.run(vote(c, v1, p)));
    await blocks(c, proposedAt + TTL - c.height);
    // The third approval arrives one block after the last height that counts.
    expectFailed(await c.run(vote(c, v2, p)), ReasonCode.EXPIRED);
    assert.is(stored(c, p)?.status, ProposalStatus.EXPIRED);
    await blocks(c, 2 * c.params.governanceDelayBlocks);
    assert.not.ok(registered(c, 'late'));
  } finally {
    await c.close();
  }
});

test('a vote at the expiry height still counts: the approved change activates', async () => {
  const c = await open();
  try {
    const [v0, v1, v2] = c.orgs as [Actor, Actor, Actor];
    const p = propose(c, v0, 'just-in-time');
    expectOk(await c.run(p));
    await blocks(c, TTL - 2);
    expectOk(await c.run(vote(c, v1, p)));
    assert.is(c.height + 1, stored(c, p)?.expires);
    expectOk(await c.run(vote(c, v2, p)));
    assert.is(stored(c, p)?.status, ProposalStatus.APPROVED);
    await blocks(c, c.params.governanceDelayBlocks + TTL);
    assert.ok(registered(c, 'just-in-time'));
    assert.is(stored(c, p)?.status, ProposalStatus.APPLIED);
  } finally {
    await c.close();
  }
});

test('an expired proposal becomes a tombstone at its expiry height and is deleted one TTL later; the due list empties', async () => {
  const c = await open();
  try {
    const v0 = c.orgs[0] as Actor;
    const p = propose(c, v0, 'gone');
    expectOk(await c.run(p));
    const expires = stored(c, p)?.expires as number;
    await blocks(c, expires - c.height);
    const tomb = stored(c, p);
    assert.is(tomb?.status, ProposalStatus.EXPIRED);
    assert.equal(tomb?.body, [], 'the body is dropped');
    await blocks(c, TTL);
    assert.is(stored(c, p), undefined);
    assert.is(c.store.get(NS.GOV_DUE), undefined);
  } finally {
    await c.close();
  }
});

test('a validator has at most MAX_OPEN_PROPOSALS open: the next is LIMIT_EXCEEDED, and it may propose again once they are gone', async () => {
  const c = await open();
  try {
    const [v0, v1] = c.orgs as [Actor, Actor];
    await c.block(Array.from({ length: MAX_OPEN_PROPOSALS }, (_, i) => propose(c, v0, `spam-${i}`)));
    expectFailed(await c.run(propose(c, v0, 'one-more')), ReasonCode.LIMIT_EXCEEDED);
    // Another validator is not held back by it.
    expectOk(await c.run(propose(c, v1, 'other')));
    await blocks(c, 2 * TTL);
    expectOk(await c.run(propose(c, v0, 'again')));
  } finally {
    await c.close();
  }
});

test('proposalTtlBlocks is a chain parameter with a default; a genesis without it keeps its bytes; 0 is GENESIS_BAD_PARAMS', async () => {
  assert.is(proposalTtlBlocks(testParams()), DEFAULT_PROPOSAL_TTL_BLOCKS);
  assert.is(proposalTtlBlocks(params()), TTL);
  const g = TestChain.genesisFor(1, 1, testParams());
  const paramsTuple = (x: Genesis) => (decodeCanonical(encodeGenesis(x), 1 << 20) as unknown[][])[2] as unknown[];
  assert.is(paramsTuple(g).length, 5, 'no optional parameter: the pre-existing encoding');
  assert.equal(paramsTuple({ ...g, params: params() }).slice(5), [DEFAULT_MAX_VALIDATORS, TTL]);
  try {
    await TestChain.openWith({ ...g, params: { ...g.params, proposalTtlBlocks: 0 } });
    assert.unreachable('a zero TTL is refused');
  } catch (err) {
    assert.ok(isCoded(err, GenesisErrorCode.BAD_PARAMS), String(err));
  }
});

test('property: a proposal is approved iff more than 2/3 voted by its expiry height; afterwards no open proposal or due entry remains', async () => {
  const op = fc.oneof(
    fc.record({ t: fc.constant('propose' as const), by: fc.nat(3) }),
    fc.record({ t: fc.constant('vote' as const), by: fc.nat(3), which: fc.nat(20) }),
    fc.record({ t: fc.constant('empty' as const), n: fc.integer({ min: 1, max: 3 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
      const c = await open();
      try {
        const vs = c.orgs as Actor[];
        // Model: per proposal, its expiry height and the validators whose vote counted.
        const model: { tx: Tx; name: string; expires: number; yes: Set<number> }[] = [];
        for (const [i, o] of ops.entries()) {
          if (o.t === 'empty') await blocks(c, o.n);
          else if (o.t === 'propose') {
            const name = `p-${i}`;
            const tx = propose(c, vs[o.by] as Actor, name);
            const r = await c.run(tx);
            if (r.status === 0) model.push({ tx, name, expires: c.height + TTL, yes: new Set([o.by]) });
            else expectFailed(r, ReasonCode.LIMIT_EXCEEDED);
          } else if (model.length > 0) {
            const m = model[o.which % model.length] as (typeof model)[number];
            const r = await c.run(vote(c, vs[o.by] as Actor, m.tx));
            const approvedBefore = m.yes.size >= 3;
            // Refused after expiry: EXPIRED while its tombstone stands, NOT_FOUND once endBlock has
            // deleted it (one TTL on); never counted.
            if (c.height > m.expires && !approvedBefore)
              expectFailed(
                r,
                c.height > m.expires + TTL && r.code === ReasonCode.NOT_FOUND
                  ? ReasonCode.NOT_FOUND
                  : ReasonCode.EXPIRED,
              );
            else if (r.status === 0) m.yes.add(o.by);
          }
        }
        await blocks(c, 2 * TTL + c.params.governanceDelayBlocks + 1);
        for (const m of model) assert.is(registered(c, m.name), m.yes.size >= 3, m.name);
        assert.is(c.store.get(NS.GOV_DUE), undefined);
        for (const m of model) {
          const s = stored(c, m.tx);
          assert.ok(s === undefined || s.status === ProposalStatus.APPLIED, 'no open or expired proposal left');
        }
      } finally {
        await c.close();
      }
    }),
    { numRuns: 12 },
  );
});

test.run();
