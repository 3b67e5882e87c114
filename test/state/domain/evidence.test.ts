import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type VoteContent, VoteType, voteSignBytes } from '../../../src/chain/vote.js';
import { equal, utf8 } from '../../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../../src/crypto/domain.js';
import { signFast } from '../../../src/crypto/ed25519.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { isCoded } from '../../../src/errors.js';
import type { SignedVote } from '../../../src/tx/bodies.js';
import { reportEvidence } from '../../../src/tx/builders.js';
import { ReasonCode } from '../../../src/tx/kinds.js';
import { medicalStateMachine } from '../../../state/domain/medical-machine.js';
import { StateView } from '../../../state/exec/view.js';
import { actor, CHAIN_ID, expectFailed, expectOk, expectRefused, TestChain } from './helpers.js';

let c: TestChain;
test.before.each(async () => {
  c = await TestChain.open({ orgs: 4, validators: 4 });
});
test.after.each(async () => {
  await c.close();
});

/** Validator i's consensus key and its index in the set votes name. */
function validator(i: number) {
  const key = actor(`validator-${i}`);
  const index = medicalStateMachine.validators(new StateView(c.store)).findIndex((v) => equal(v.pubkey, key.pk));
  return { key, index, org: c.orgs[i]?.id as Uint8Array };
}

function vote(i: number, blockHash: Uint8Array | null, over: Partial<VoteContent> = {}): SignedVote {
  const { key, index } = validator(i);
  const v: VoteContent = { type: VoteType.PREVOTE, height: 7, round: 1, blockHash, validatorIndex: index, ...over };
  return { ...v, signature: signFast(signingMessage(SignPurpose.VOTE, CHAIN_ID, voteSignBytes(v)), key.sk) };
}

/** Validator 0 reports, signing with its consensus key as its organization. */
function report(a: SignedVote, b: SignedVote, by = 0) {
  const { key, org } = validator(by);
  return c.sign(reportEvidence({ ...c.env(key), signer: org }, { a, b }), key.sk);
}

const hashA = sha256(utf8('block A'));
const hashB = sha256(utf8('block B'));

test('EVIDENCE of two conflicting votes is accepted and emits consensus.equivocation naming the validator', async () => {
  const r = await c.run(report(vote(2, hashA), vote(2, hashB)));
  expectOk(r);
  const e = r.events.find((x) => x.type === 'consensus.equivocation');
  assert.ok(e, 'event emitted');
  assert.ok(equal(e?.attrs.validator as Uint8Array, validator(2).org));
  assert.is(e?.attrs.height, 7);
  assert.ok(equal(e?.attrs.reporter as Uint8Array, validator(0).org));
});

test('a vote for a block and a vote for nil at one height/round/step are evidence too', async () => {
  expectOk(
    await c.run(report(vote(1, hashA, { type: VoteType.PRECOMMIT }), vote(1, null, { type: VoteType.PRECOMMIT }))),
  );
});

test('a second report of the same offence fails ALREADY_EXISTS', async () => {
  expectOk(await c.run(report(vote(2, hashA), vote(2, hashB))));
  expectFailed(await c.run(report(vote(2, hashA), vote(2, hashB), 1)), ReasonCode.ALREADY_EXISTS);
});

test('evidence with a forged vote signature fails BAD_PROOF', async () => {
  const forged = { ...vote(2, hashB), signature: vote(3, hashB).signature };
  expectFailed(await c.run(report(vote(2, hashA), forged)), ReasonCode.BAD_PROOF);
});

test('only a validator, with its consensus key, may report: NOT_AUTHORIZED otherwise', async () => {
  const outsider = actor('outsider');
  const tx = c.sign(reportEvidence(c.env(outsider), { a: vote(2, hashA), b: vote(2, hashB) }), outsider.sk);
  expectRefused(c, tx, ReasonCode.NOT_AUTHORIZED);
});

test('two votes for the same value, or of different heights, are not evidence (TX_BAD_BODY)', () => {
  for (const [a, b] of [
    [vote(2, hashA), vote(2, hashA)],
    [vote(2, hashA), vote(2, hashB, { height: 8 })],
  ] as const) {
    const tx = report(a, b);
    // Rejected where every body is judged: at admission and when a block executes.
    assert.throws(
      () => medicalStateMachine.kind(tx.kind)?.decodeBody(tx.body, tx),
      (e: unknown) => isCoded(e, 'TX_BAD_BODY'),
    );
  }
});

test.run();
