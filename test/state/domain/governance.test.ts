import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../../src/chain/genesis.js';
import { validatorsHash } from '../../../src/chain/validators.js';
import { equal } from '../../../src/codec/bytes.js';
import { SMALL_ORDER_ENCODINGS } from '../../../src/crypto/ed25519.js';
import { isCoded } from '../../../src/errors.js';
import { proposeOrganization } from '../../../src/tx/builders.js';
import { GovAction, IdentityType, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { identityKey } from '../../../state/domain/keys.js';
import { GenesisErrorCode, medicalStateMachine } from '../../../state/domain/medical-machine.js';
import { decodeIdentity } from '../../../state/domain/values.js';
import { StateView } from '../../../state/exec/view.js';
import { type Actor, actor, expectFailed, expectOk, seat, TestChain, testParams } from './helpers.js';

interface Ctx {
  c: TestChain;
}
const test = suite<Ctx>('governance');

// 4 organizations, all validators, governance delay 3 blocks
test.before.each(async (ctx) => {
  ctx.c = await TestChain.open({ orgs: 5, validators: 4, params: testParams({}, 3) });
});
test.after.each(async (ctx) => {
  await ctx.c.close();
});

const validatorIds = (c: TestChain): Uint8Array[] =>
  medicalStateMachine.validators(new StateView(c.store)).map((v) => v.id);

test('a validator is added by more than 2/3 of validators, effective governanceDelayBlocks later; the header hash follows', async ({
  c,
}) => {
  const [v0, v1, v2] = c.orgs as [Actor, Actor, Actor];
  const newOrg = c.orgs[4] as Actor;
  const consensus = actor('validator-new');
  const propose = c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, v0, {
    action: GovAction.ADD_VALIDATOR,
    org: newOrg.id,
    ...seat(newOrg.id, consensus),
  });
  const before = (await c.block([propose])).nextValidatorsHash;
  const vote = (v: Actor) => c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v, { proposal: propose.hash });
  expectOk((await c.block([vote(v1)])).receipts[0] as never); // 2 of 4: not yet
  expectFailed(await c.run(vote(v1)), ReasonCode.ALREADY_VOTED);
  const approved = await c.block([vote(v2)]); // 3 of 4 > 2/3
  const approvedAt = c.height;
  assert.ok(approved.receipts[0]?.events.some((e) => e.type === 'governance.approved'));
  assert.ok(equal(approved.nextValidatorsHash, before), 'no change at approval');
  // a fourth vote comes too late: the proposal is closed
  expectFailed(
    await c.run(c.tx(TxKind.VOTE_VALIDATOR_CHANGE, c.orgs[3] as Actor, { proposal: propose.hash })),
    ReasonCode.CLOSED,
  );
  while (c.height < approvedAt + c.params.governanceDelayBlocks - 1) {
    const e = await c.block([]);
    assert.ok(equal(e.nextValidatorsHash, before), `unchanged at height ${c.height}`);
  }
  const effective = await c.block([]);
  assert.is(c.height, approvedAt + c.params.governanceDelayBlocks);
  assert.ok(effective.receipts.some((r) => r.events.some((e) => e.type === 'governance.applied')));
  assert.not.ok(equal(effective.nextValidatorsHash, before));
  assert.ok(equal(effective.nextValidatorsHash, validatorsHash(effective.nextValidators)));
  assert.ok(validatorIds(c).some((id) => equal(id, newOrg.id)));
  assert.is(validatorIds(c).length, 5);
});

test('a validator is removed the same way; a removed validator can no longer propose (NOT_VALIDATOR)', async ({
  c,
}) => {
  const [v0, v1, v2, v3] = c.orgs as [Actor, Actor, Actor, Actor];
  const propose = c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, v0, { action: GovAction.REMOVE_VALIDATOR, org: v3.id });
  await c.block([
    propose,
    c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v1, { proposal: propose.hash }),
    c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v2, { proposal: propose.hash }),
  ]);
  for (let i = 0; i < c.params.governanceDelayBlocks; i++) await c.block([]);
  assert.is(validatorIds(c).length, 3);
  assert.not.ok(validatorIds(c).some((id) => equal(id, v3.id)));
  expectFailed(
    await c.run(c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, v3, { action: GovAction.REMOVE_VALIDATOR, org: v0.id })),
    ReasonCode.NOT_VALIDATOR,
  );
});

test('a new organization enters by governance with a key-possession proof', async ({ c }) => {
  const [v0, v1, v2] = c.orgs as [Actor, Actor, Actor];
  const clinic = actor('new-clinic');
  const bad = c.sign(proposeOrganization(c.env(v0), clinic.pk, actor('x').sign, 'Clinic'), v0.sk);
  expectFailed(await c.run(bad), ReasonCode.BAD_PROOF);
  const badKey = c.sign(
    proposeOrganization(c.env(v0), SMALL_ORDER_ENCODINGS[4] as Uint8Array, clinic.sign, 'Clinic'),
    v0.sk,
  );
  expectFailed(await c.run(badKey), ReasonCode.INVALID_KEY);
  const p = c.sign(proposeOrganization(c.env(v0), clinic.pk, clinic.sign, 'North Clinic'), v0.sk);
  await c.block([
    p,
    c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v1, { proposal: p.hash }),
    c.tx(TxKind.VOTE_VALIDATOR_CHANGE, v2, { proposal: p.hash }),
  ]);
  assert.is(c.store.get(identityKey(identityId(clinic.pk))), undefined);
  for (let i = 0; i < c.params.governanceDelayBlocks; i++) await c.block([]);
  const i = decodeIdentity(c.store.get(identityKey(clinic.id)) as Uint8Array);
  assert.is(i.type, IdentityType.ORGANIZATION);
  assert.is(i.name, 'North Clinic');
  // the new organization can now onboard patients
  await c.registerPatient('zoe', clinic);
});

test('non-validators cannot propose or vote; the last validator cannot be removed', async ({ c }) => {
  const outsider = c.orgs[4] as Actor;
  expectFailed(
    await c.run(
      c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, outsider, {
        action: GovAction.REMOVE_VALIDATOR,
        org: (c.orgs[0] as Actor).id,
      }),
    ),
    ReasonCode.NOT_VALIDATOR,
  );
  expectFailed(
    await c.run(
      c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, c.orgs[0] as Actor, {
        action: GovAction.REMOVE_VALIDATOR,
        org: outsider.id,
      }),
    ),
    ReasonCode.NOT_FOUND,
  );
  const solo = await TestChain.open({ orgs: 1, validators: 1 });
  try {
    const only = solo.orgs[0] as Actor;
    expectFailed(
      await solo.run(
        solo.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, only, { action: GovAction.REMOVE_VALIDATOR, org: only.id }),
      ),
      ReasonCode.INVALID_CHANGE,
    );
  } finally {
    await solo.close();
  }
});

test('genesis refuses small-order organization keys and validators that are not genesis organizations', async () => {
  const g = TestChain.genesisFor(2, 2, testParams());
  const badKey = { ...g, organizations: [{ pubkey: SMALL_ORDER_ENCODINGS[1] as Uint8Array, name: 'Bad' }] };
  try {
    await TestChain.openWith(badKey);
    assert.unreachable('accepted a small-order key');
  } catch (err) {
    assert.ok(isCoded(err, GenesisErrorCode.BAD_ORGANIZATION));
  }
  const stranger = { ...g, validators: [{ org: new Uint8Array(32), pubkey: actor('v').pk, power: 1 }] };
  try {
    await TestChain.openWith(stranger);
    assert.unreachable('accepted a stranger validator');
  } catch (err) {
    assert.ok(isCoded(err, GenesisErrorCode.BAD_VALIDATOR));
  }
});

test.run();
