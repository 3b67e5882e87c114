/**
 * Validator governance as an attacker sees it: a new hospital joins in one proposal (JOIN), no
 * hospital changes the set alone, a vote counts once, and a removed validator's votes stop counting.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../../src/chain/genesis.js';
import { equal } from '../../../src/codec/bytes.js';
import { signingMessage } from '../../../src/crypto/domain.js';
import type { ValidatorSeat } from '../../../src/tx/bodies.js';
import { consensusKeyProof, organizationKeyProof, proposeJoin } from '../../../src/tx/builders.js';
import { keyProofPayload } from '../../../src/tx/cosign.js';
import { GovAction, IdentityType, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { identityKey, proposalKey } from '../../../state/domain/keys.js';
import { medicalStateMachine } from '../../../state/domain/medical-machine.js';
import { decodeIdentity, decodeProposal, ProposalStatus } from '../../../state/domain/values.js';
import { StateView } from '../../../state/exec/view.js';
import {
  type Actor,
  actor,
  CHAIN_ID,
  expectFailed,
  expectOk,
  seat,
  TEST_PEER_ID,
  TestChain,
  testParams,
} from './helpers.js';

const test = suite<{ c: TestChain }>('governance join');

test.before.each(async (ctx) => {
  ctx.c = await TestChain.open({ orgs: 5, validators: 4, params: testParams({}, 3) });
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const set = (c: TestChain) => medicalStateMachine.validators(new StateView(c.store));
const inSet = (c: TestChain, id: Uint8Array): boolean => set(c).some((v) => equal(v.id, id));
const vote = (c: TestChain, v: Actor, proposal: Uint8Array) => c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v, { proposal });
const status = (c: TestChain, pid: Uint8Array): number =>
  decodeProposal(c.store.get(proposalKey(pid)) as Uint8Array).status;
const join = (c: TestChain, by: Actor, org: Actor, consensus: Actor, proofBy: Actor = org, s?: ValidatorSeat) =>
  c.sign(
    proposeJoin(c.env(by), {
      pubkey: org.pk,
      proof: organizationKeyProof(CHAIN_ID, org.pk, proofBy.sign),
      name: 'West Hospital',
      ...(s ?? seat(identityId(org.pk), consensus)),
    }),
    by.sk,
  );
const settle = async (c: TestChain): Promise<void> => {
  for (let i = 0; i < c.params.governanceDelayBlocks; i++) await c.block([]);
};

test('JOIN registers a new organization and seats it in one proposal, after more than 2/3 approve', async ({ c }) => {
  const [v0, v1, v2] = c.orgs as [Actor, Actor, Actor];
  const west = actor('west');
  const p = join(c, v0, west, actor('west-consensus'));
  await c.block([p, vote(c, v1, p.hash)]);
  await settle(c);
  assert.not.ok(inSet(c, west.id), '2 of 4 is not enough');
  assert.is(c.store.get(identityKey(west.id)), undefined);
  await c.block([vote(c, v2, p.hash)]);
  await settle(c);
  assert.is(status(c, p.hash), ProposalStatus.APPLIED);
  assert.is(decodeIdentity(c.store.get(identityKey(west.id)) as Uint8Array).type, IdentityType.ORGANIZATION);
  assert.ok(inSet(c, west.id));
  assert.is(set(c).length, 5);
  // The new validator governs like the others.
  expectOk(
    await c.run(c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, west, { action: GovAction.REMOVE_VALIDATOR, org: v0.id })),
  );
});

test('JOIN is refused: BAD_PROOF (a key the requester does not hold), ALREADY_EXISTS (an organization on chain), KEY_IN_USE (a seated consensus key)', async ({
  c,
}) => {
  const v0 = c.orgs[0] as Actor;
  expectFailed(await c.run(join(c, v0, actor('west'), actor('k'), actor('thief'))), ReasonCode.BAD_PROOF);
  expectFailed(await c.run(join(c, v0, c.orgs[4] as Actor, actor('k'))), ReasonCode.ALREADY_EXISTS);
  expectFailed(await c.run(join(c, v0, actor('west'), c.validatorKeys[1] as Actor)), ReasonCode.KEY_IN_USE);
});

test('BAD_CONSENSUS_PROOF: a consensus key the requester does not hold, or a proof for another chain, organization, peer id or label', async ({
  c,
}) => {
  const v0 = c.orgs[0] as Actor;
  const west = actor('west');
  const westId = identityId(west.pk);
  const k = actor('west-consensus');
  const lying = (s: Partial<ValidatorSeat>) => join(c, v0, west, k, west, { ...seat(westId, k), ...s });
  const proof = (org: Uint8Array, peerId: string, chainId = CHAIN_ID) =>
    consensusKeyProof(chainId, org, k.pk, peerId, k.sign);
  // A key nobody in the request holds: the proof is the requester's, not the key's.
  expectFailed(
    await c.run(join(c, v0, west, k, west, seat(westId, k, TEST_PEER_ID, west))),
    ReasonCode.BAD_CONSENSUS_PROOF,
  );
  expectFailed(
    await c.run(lying({ consensusProof: proof(westId, TEST_PEER_ID, 'other-chain') })),
    ReasonCode.BAD_CONSENSUS_PROOF,
  );
  expectFailed(
    await c.run(lying({ consensusProof: proof(actor('east').id, TEST_PEER_ID) })),
    ReasonCode.BAD_CONSENSUS_PROOF,
  );
  // The peer id is signed: a proposer cannot swap in a node of its own choosing.
  expectFailed(await c.run(lying({ peerId: '12D3KooWAnotherPeer' })), ReasonCode.BAD_CONSENSUS_PROOF);
  // The same key's identity proof (label 'key-proof') is no consensus proof.
  const idProof = k.sign(signingMessage('key-proof', CHAIN_ID, keyProofPayload(westId, k.pk)));
  expectFailed(await c.run(lying({ consensusProof: idProof })), ReasonCode.BAD_CONSENSUS_PROOF);
  // A stolen proof of a seated validator: refused by the cheap KEY_IN_USE check before any signature.
  const seated = c.validatorKeys[1] as Actor;
  expectFailed(
    await c.run(join(c, v0, west, seated, west, seat(westId, seated, TEST_PEER_ID, west))),
    ReasonCode.KEY_IN_USE,
  );
  // The honest request still goes through.
  expectOk(await c.run(join(c, v0, west, k)));
});

test('no hospital changes the set alone: its second vote is ALREADY_VOTED and the proposal stays open', async ({
  c,
}) => {
  const v0 = c.orgs[0] as Actor;
  const p = join(c, v0, actor('west'), actor('west-consensus'));
  await c.block([p]);
  expectFailed(await c.run(vote(c, v0, p.hash)), ReasonCode.ALREADY_VOTED);
  // Its other keys do not help: only validator organizations vote, each once.
  expectFailed(await c.run(vote(c, c.orgs[4] as Actor, p.hash)), ReasonCode.NOT_VALIDATOR);
  await settle(c);
  assert.is(status(c, p.hash), ProposalStatus.OPEN);
  assert.is(set(c).length, 4);
});

test("a removed validator's earlier vote stops counting: approval is judged against the set at the vote's block", async ({
  c,
}) => {
  const [v0, v1, v2, v3] = c.orgs as [Actor, Actor, Actor, Actor];
  const west = actor('west');
  // v3 proposes (its yes vote is recorded), then is removed by the other three.
  const p = join(c, v3, west, actor('west-consensus'));
  await c.block([p]);
  const rm = c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, v0, { action: GovAction.REMOVE_VALIDATOR, org: v3.id });
  await c.block([rm, vote(c, v1, rm.hash), vote(c, v2, rm.hash)]);
  await settle(c);
  assert.not.ok(inSet(c, v3.id));
  // Set {v0, v1, v2}: with v3's vote, v0 and v1 would make 3 of 3; without it, 2 of 3 is not > 2/3.
  await c.block([vote(c, v0, p.hash), vote(c, v1, p.hash)]);
  assert.is(status(c, p.hash), ProposalStatus.OPEN);
  expectFailed(await c.run(vote(c, v3, p.hash)), ReasonCode.NOT_VALIDATOR);
  await c.block([vote(c, v2, p.hash)]);
  assert.is(status(c, p.hash), ProposalStatus.APPROVED);
  await settle(c);
  assert.ok(inSet(c, identityId(west.pk)));
});

test.run();
