import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidatorSet } from '../../../consensus/engine/validator-set.js';
import { defaultChainParams } from '../../../src/chain/genesis.js';
import type { Tx } from '../../../src/chain/tx.js';
import { isCoded } from '../../../src/errors.js';
import { GovAction, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { GenesisErrorCode, medicalStateMachine } from '../../../state/domain/medical-machine.js';
import { StateView } from '../../../state/exec/view.js';
import { type Actor, actor, expectFailed, expectOk, seat, TestChain, testParams } from './helpers.js';

const test = suite('validator set: unique consensus keys, bounded size');

const addValidator = (c: TestChain, by: Actor, org: Actor, consensus: Actor): Tx =>
  c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, by, {
    action: GovAction.ADD_VALIDATOR,
    org: org.id,
    ...seat(org.id, consensus),
  });
const vote = (c: TestChain, by: Actor, p: Tx): Tx => c.tx(TxKind.VOTE_VALIDATOR_CHANGE, by, { proposal: p.hash });
const current = (c: TestChain) => medicalStateMachine.validators(new StateView(c.store));

test('ADD_VALIDATOR with a consensus key already in the set fails KEY_IN_USE at proposal', async () => {
  const c = await TestChain.open({ orgs: 5, validators: 4 });
  try {
    const [v0] = c.orgs as [Actor];
    const taken = c.validatorKeys[1] as Actor;
    expectFailed(await c.run(addValidator(c, v0, c.orgs[4] as Actor, taken)), ReasonCode.KEY_IN_USE);
    expectFailed(await c.run(addValidator(c, v0, c.orgs[2] as Actor, actor('k'))), ReasonCode.ALREADY_EXISTS);
  } finally {
    await c.close();
  }
});

test('two approved proposals with one new key: the second is refused at approval and skipped at activation; the set stays valid', async () => {
  const c = await TestChain.open({ orgs: 7, validators: 4 });
  try {
    const [v0, v1, v2, v3, o4, o5, o6] = c.orgs as [Actor, Actor, Actor, Actor, Actor, Actor, Actor];
    const k = actor('shared-consensus-key');
    const p1 = addValidator(c, v0, o4, k);
    const p2 = addValidator(c, v0, o5, k);
    const p3 = addValidator(c, v1, o6, k);
    await c.block([p1, p2, p3]);
    // p1 and p2 are approved in the same block: both pending, activating at the same height
    const approvals = await c.block([vote(c, v1, p1), vote(c, v2, p1), vote(c, v1, p2), vote(c, v2, p2)]);
    for (const r of approvals.receipts.slice(0, 4)) expectOk(r);
    let skipped = 0;
    for (let i = 0; i < c.params.governanceDelayBlocks; i++) {
      const e = await c.block([]);
      for (const r of e.receipts)
        for (const ev of r.events)
          if (ev.type === 'governance.skipped' && ev.attrs.code === ReasonCode.KEY_IN_USE) skipped++;
    }
    assert.is(skipped, 1, 'the second change is skipped');
    const set = current(c);
    assert.is(set.length, 5);
    // the engine accepts the set (it throws on a duplicate key) and the chain goes on
    assert.is(new ValidatorSet(set).size, 5);
    // p3 is still open: approving it now fails, its key is taken
    expectFailed(await c.run(vote(c, v2, p3)), ReasonCode.KEY_IN_USE);
    expectOk(
      await c.run(c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, v3, { action: GovAction.REMOVE_VALIDATOR, org: o4.id })),
    );
  } finally {
    await c.close();
  }
});

test('the set is bounded by maxValidators: a proposal past it fails LIMIT_EXCEEDED', async () => {
  const params = { ...testParams(), maxValidators: 2 };
  const c = await TestChain.openWith(TestChain.genesisFor(3, 2, params));
  try {
    const [v0] = c.orgs as [Actor];
    expectFailed(await c.run(addValidator(c, v0, c.orgs[2] as Actor, actor('k3'))), ReasonCode.LIMIT_EXCEEDED);
  } finally {
    await c.close();
  }
});

test('genesis refuses a repeated consensus key and a set larger than maxValidators', async () => {
  const g = TestChain.genesisFor(3, 3, testParams());
  const dup = { ...g, validators: g.validators.map((v) => ({ ...v, pubkey: (g.validators[0] as typeof v).pubkey })) };
  const big = { ...g, params: { ...g.params, maxValidators: 2 } };
  for (const bad of [dup, big]) {
    try {
      const c = await TestChain.openWith(bad);
      await c.close();
      assert.unreachable('accepted');
    } catch (err) {
      assert.ok(isCoded(err, GenesisErrorCode.BAD_VALIDATOR));
    }
  }
  assert.is(defaultChainParams.maxValidators, undefined, 'existing genesis files keep their hash');
});

test.run();
