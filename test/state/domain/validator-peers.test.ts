/**
 * The chain names its validators' nodes: a seat's peer id (signed with the consensus key in the
 * JOIN) is admitted from approval, stays while the organization is seated, and goes with removal.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../../src/chain/genesis.js';
import { organizationKeyProof, proposeJoin } from '../../../src/tx/builders.js';
import { GovAction, TxKind } from '../../../src/tx/kinds.js';
import { chainPeerIds } from '../../../state/domain/validator-peers.js';
import { type Actor, actor, CHAIN_ID, expectOk, seat, TestChain, testParams } from './helpers.js';

const test = suite('validator peers on chain');

const PEER = '12D3KooWWestNode';

test('a JOIN peer id is named from approval (before activation), while seated, and not after removal', async () => {
  const c = await TestChain.open({ orgs: 4, validators: 4, params: testParams({}, 3) });
  try {
    const [v0, v1, v2, v3] = c.orgs as [Actor, Actor, Actor, Actor];
    assert.equal(chainPeerIds(c.store), [], 'genesis validators: configured statically');
    const west = actor('west');
    const p = c.sign(
      proposeJoin(c.env(v0), {
        pubkey: west.pk,
        proof: organizationKeyProof(CHAIN_ID, west.pk, west.sign),
        name: 'West Hospital',
        ...seat(identityId(west.pk), actor('west-consensus'), PEER),
      }),
      v0.sk,
    );
    await c.block([p, c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v1, { proposal: p.hash })]);
    assert.equal(chainPeerIds(c.store), [], 'open, not approved: not admitted');
    await c.block([c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v2, { proposal: p.hash })]);
    assert.equal(chainPeerIds(c.store), [PEER], 'approved, pending: admitted so it can sync');
    for (let i = 0; i < c.params.governanceDelayBlocks; i++) await c.block([]);
    assert.equal(chainPeerIds(c.store), [PEER], 'seated');
    const rm = c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, v0, { action: GovAction.REMOVE_VALIDATOR, org: west.id });
    const votes = [v1, v2, v3].map((v) => c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v, { proposal: rm.hash }));
    for (const r of (await c.block([rm, ...votes])).receipts) expectOk(r);
    for (let i = 0; i < c.params.governanceDelayBlocks; i++) await c.block([]);
    assert.equal(chainPeerIds(c.store), [], 'removed: no longer named');
  } finally {
    await c.close();
  }
});

test.run();
