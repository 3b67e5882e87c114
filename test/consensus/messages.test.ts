import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidCommit, verifyCommit } from '../../consensus/engine/certificate.js';
import { ConsensusErrorCode } from '../../consensus/engine/errors.js';
import {
  decodeCommit,
  decodeProposal,
  decodeVote,
  encodeCommit,
  encodeProposal,
  encodeVote,
  voteSignBytes,
} from '../../consensus/engine/messages.js';
import { VoteType } from '../../consensus/engine/types.js';
import { ValidatorSet } from '../../consensus/engine/validator-set.js';
import { concat } from '../../src/codec/bytes.js';
import { CodecErrorCode, encode } from '../../src/codec/cbor.js';
import { block, keyring, keys, precommit, prevote, proposal, randomHash, set, throwsCode } from './helpers.js';

const H = randomHash('h');

test('votes, proposals and certificates round-trip byte for byte', () => {
  for (const v of [prevote(1, 9, 2, H), precommit(3, 9, 0, null)]) {
    const bytes = encodeVote(v);
    assert.equal(decodeVote(bytes), v);
    assert.equal(encodeVote(decodeVote(bytes)), bytes);
  }
  const p = proposal(2, 9, 3, block('b'), 1);
  assert.equal(decodeProposal(encodeProposal(p), 4096), p);
  const withChain = { ...p, chainId: 'medchain-test' };
  assert.equal(decodeProposal(encodeProposal(withChain), 4096), withChain);
  const cert = {
    height: 9,
    round: 0,
    blockHash: H,
    signatures: [
      { validatorIndex: 0, signature: H },
      { validatorIndex: 2, signature: H },
    ],
  };
  assert.equal(decodeCommit(encodeCommit(cert)), cert);
});

test('decoding rejects oversize, trailing bytes and bad shapes', () => {
  const v = encodeVote(prevote(1, 9, 2, H));
  throwsCode(() => decodeVote(concat(v, new Uint8Array([0]))), CodecErrorCode.MALFORMED);
  throwsCode(() => decodeVote(new Uint8Array(300)), CodecErrorCode.OVERSIZE);
  throwsCode(() => decodeVote(encode([3, 9, 2, H, 1, H])), CodecErrorCode.SHAPE); // unknown type
  throwsCode(() => decodeVote(encode([1, 9, 2, H.slice(1), 1, H])), CodecErrorCode.SHAPE); // short hash
  const p = proposal(2, 9, 3, block('b'));
  throwsCode(() => decodeProposal(encodeProposal({ ...p, polRound: 3 }), 4096), CodecErrorCode.SHAPE);
  throwsCode(() => decodeProposal(encodeProposal(p), 16), CodecErrorCode.OVERSIZE);
  // Signers out of order would give one certificate two encodings.
  const unsorted = encode([
    9,
    0,
    H,
    [
      [2, H],
      [0, H],
    ],
  ]);
  throwsCode(() => decodeCommit(unsorted), CodecErrorCode.SHAPE);
});

test('vote sign bytes differ by type, round and hash', () => {
  const base = { type: VoteType.PREVOTE, height: 1, round: 0, blockHash: H, validatorIndex: 0 } as const;
  const a = voteSignBytes(base);
  assert.not.equal(a, voteSignBytes({ ...base, type: VoteType.PRECOMMIT }));
  assert.not.equal(a, voteSignBytes({ ...base, round: 1 }));
  assert.not.equal(a, voteSignBytes({ ...base, blockHash: null }));
});

function cert(signers: number[], round = 0) {
  return {
    height: 4,
    round,
    blockHash: H,
    signatures: signers.map((i) => ({ validatorIndex: i, signature: precommit(i, 4, round, H).signature })),
  };
}

test('verifyCommit accepts more than 2/3 of the power', () => {
  verifyCommit(cert([0, 1, 2]), set, keyring.verify, 4);
  assert.ok(isValidCommit(cert([0, 1, 2, 3]), set, keyring.verify));
});

test('verifyCommit rejects: insufficient power, bad signature, duplicate, unknown validator, wrong height', () => {
  const v = keyring.verify;
  throwsCode(() => verifyCommit(cert([0, 1]), set, v), ConsensusErrorCode.CERT_INSUFFICIENT_POWER);
  const bad = cert([0, 1, 2]);
  bad.signatures[1] = { validatorIndex: 1, signature: prevote(1, 4, 0, H).signature }; // a prevote, not a precommit
  throwsCode(() => verifyCommit(bad, set, v), ConsensusErrorCode.CERT_BAD_SIGNATURE);
  const dup = cert([0, 1, 1, 2]);
  throwsCode(() => verifyCommit(dup, set, v), ConsensusErrorCode.CERT_DUPLICATE_SIGNER);
  const unknown = cert([0, 1, 2]);
  unknown.signatures.push({ validatorIndex: 7, signature: H });
  throwsCode(() => verifyCommit(unknown, set, v), ConsensusErrorCode.CERT_UNKNOWN_VALIDATOR);
  throwsCode(() => verifyCommit(cert([0, 1, 2]), set, v, 5), ConsensusErrorCode.CERT_WRONG_HEIGHT);
});

test('verifyCommit counts power, not heads', () => {
  const weighted = new ValidatorSet(keys.map((k, i) => ({ id: k.id, pubkey: k.pubkey, power: i === 3 ? 7 : 1 })));
  assert.equal(weighted.quorum, 7); // total 10: more than 2/3 is 7
  assert.not.ok(isValidCommit(cert([0, 1, 2]), weighted, keyring.verify), 'three of four heads is 3/10');
  assert.ok(isValidCommit(cert([0, 3]), weighted, keyring.verify));
});

test('validator set: quorum is more than 2/3, f+1 more than 1/3', () => {
  assert.equal(set.quorum, 3);
  assert.equal(set.oneThird, 2);
  const three = new ValidatorSet(keys.slice(0, 3).map((k) => ({ id: k.id, pubkey: k.pubkey, power: 1 })));
  assert.equal(three.quorum, 3, '2 of 3 is not more than 2/3');
  const six = new ValidatorSet(keys.map((k) => ({ id: k.id, pubkey: k.pubkey, power: 3 })).slice(0, 2));
  assert.equal(six.quorum, 5);
});

test('validator set: equal powers rotate the proposer as (height + round) mod n', () => {
  for (let h = 1; h < 10; h++) for (let r = 0; r < 6; r++) assert.equal(set.proposer(h, r), (h + r) % 4);
});

test('validator set: weighted round-robin is proportional and interleaved', () => {
  const w = new ValidatorSet(
    keys.slice(0, 3).map((k, i) => ({ id: k.id, pubkey: k.pubkey, power: [2, 1, 1][i] as number })),
  );
  const seq = Array.from({ length: 8 }, (_, h) => w.proposer(h, 0));
  assert.equal(seq.filter((i) => i === 0).length, 4);
  assert.equal(seq.filter((i) => i === 1).length, 2);
  for (let i = 1; i < seq.length; i++) assert.ok(!(seq[i] === 0 && seq[i - 1] === 0 && seq[i - 2] === 0), 'no bursts');
});

test('validator set: rejects duplicates, bad keys and non-positive power', () => {
  const k = keys[0] as (typeof keys)[number];
  throwsCode(() => new ValidatorSet([]), ConsensusErrorCode.INVALID_VALIDATOR_SET);
  throwsCode(
    () => new ValidatorSet([{ id: k.id, pubkey: k.pubkey, power: 0 }]),
    ConsensusErrorCode.INVALID_VALIDATOR_SET,
  );
  throwsCode(
    () => new ValidatorSet([{ id: k.id, pubkey: k.pubkey.slice(1), power: 1 }]),
    ConsensusErrorCode.INVALID_VALIDATOR_SET,
  );
  throwsCode(
    () =>
      new ValidatorSet([
        { id: k.id, pubkey: k.pubkey, power: 1 },
        { id: randomHash('other'), pubkey: k.pubkey, power: 1 },
      ]),
    ConsensusErrorCode.INVALID_VALIDATOR_SET,
  );
});

test.run();
