import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../../src/chain/genesis.js';
import { decodeTx, TxErrorCode } from '../../../src/chain/tx.js';
import { equal, utf8 } from '../../../src/codec/bytes.js';
import { encode } from '../../../src/codec/cbor.js';
import { SignPurpose, signingMessage } from '../../../src/crypto/domain.js';
import { publicKeyOf, sign, verify } from '../../../src/crypto/ed25519.js';
import { isCoded } from '../../../src/errors.js';
import {
  BODY_CODECS,
  type BodyByKind,
  bodySize,
  decodeBody,
  encodeBody,
  type MedicalKind,
} from '../../../src/tx/bodies.js';
import * as B from '../../../src/tx/builders.js';
import {
  actionsMask,
  buildTx,
  purposeCode,
  purposesMask,
  registerPatient,
  rotateKey,
} from '../../../src/tx/builders.js';
import { keyProofPayload, registerPatientCosignPayload } from '../../../src/tx/cosign.js';
import {
  GovAction,
  LOCATOR_MAX_BYTES,
  MAX_ACCESS_RECORDS,
  MAX_GUARDIANS,
  MAX_SCOPE_RECORDS,
  MAX_VALIDATOR_POWER,
  ORG_NAME_MAX,
  PEER_ID_MAX,
  RESOURCE_TYPES,
  resourceTypeCode,
  TX_KIND_NAMES,
  TxKind,
  typesMask,
} from '../../../src/tx/kinds.js';
import { signTx, verifyTxSignature } from '../../../src/tx/sign.js';

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const sig = new Uint8Array(64).fill(9);
const BIG = Number.MAX_SAFE_INTEGER;

/** The largest body of each kind the field bounds allow. */
const MAX_BODIES: { [K in MedicalKind]: BodyByKind[K] } = {
  [TxKind.REGISTER_PATIENT]: { org: id(1), orgSig: sig },
  [TxKind.REGISTER_PRACTITIONER]: { pubkey: id(1), proof: sig },
  [TxKind.ROTATE_KEY]: { newPubkey: id(1), proof: sig },
  [TxKind.SET_DELEGATE]: { delegate: id(1), expiresAt: BIG },
  [TxKind.REVOKE_DELEGATE]: { delegate: id(1) },
  [TxKind.SET_RECOVERY]: {
    guardians: Array.from({ length: MAX_GUARDIANS }, (_, i) => id(i)),
    threshold: MAX_GUARDIANS,
  },
  [TxKind.START_RECOVERY]: {
    patient: id(1),
    newPubkey: id(2),
    proof: sig,
    approvals: Array.from({ length: MAX_GUARDIANS }, (_, i) => ({ guardian: id(i), sig })),
  },
  [TxKind.CANCEL_RECOVERY]: {},
  [TxKind.FINISH_RECOVERY]: { patient: id(1) },
  [TxKind.ISSUE_CREDENTIAL]: {
    practitioner: id(1),
    credType: 2,
    qualifier: 0xffffffff,
    validFrom: BIG - 1,
    validUntil: BIG,
  },
  [TxKind.REVOKE_CREDENTIAL]: { practitioner: id(1), credType: 2, qualifier: 0xffffffff },
  [TxKind.ADD_RECORD]: {
    record: id(1),
    patient: id(2),
    resourceType: RESOURCE_TYPES.length - 1,
    commitment: id(3),
    locator: new Uint8Array(LOCATOR_MAX_BYTES),
    custodian: id(4),
    purpose: 7,
  },
  [TxKind.ERASE_RECORD]: { record: id(1) },
  [TxKind.ATTEST_DELETION]: { record: id(1), receiptHash: id(2) },
  [TxKind.SET_LEGAL_HOLD]: { record: id(1), hold: true },
  [TxKind.GRANT_CONSENT]: {
    patient: id(1),
    grantee: id(2),
    records: Array.from({ length: MAX_SCOPE_RECORDS }, (_, i) => id(10 + i)),
    types: 2 ** RESOURCE_TYPES.length - 1,
    actions: 3,
    purposes: 0xfe,
    notBefore: BIG - 1,
    expiresAt: BIG,
  },
  [TxKind.REVOKE_CONSENT]: { patient: id(1), grantee: id(2), consent: id(3) },
  [TxKind.ACCESS]: {
    patient: id(1),
    records: Array.from({ length: MAX_ACCESS_RECORDS }, (_, i) => id(10 + i)),
    purpose: 7,
  },
  [TxKind.BREAK_GLASS]: { patient: id(1), reason: 7 },
  [TxKind.REVIEW_EMERGENCY]: { session: id(1), justified: false },
  [TxKind.REINSTATE]: { grantee: id(1) },
  // JOIN is the largest action.
  [TxKind.PROPOSE_VALIDATOR_CHANGE]: {
    action: GovAction.JOIN,
    pubkey: id(1),
    proof: sig,
    name: 'x'.repeat(ORG_NAME_MAX),
    consensusKey: id(2),
    power: MAX_VALIDATOR_POWER,
    peerId: 'z'.repeat(PEER_ID_MAX),
    consensusProof: sig,
  },
  [TxKind.VOTE_VALIDATOR_CHANGE]: { proposal: id(1) },
  [TxKind.EVIDENCE]: {
    a: { type: 2, height: BIG, round: 0xffff, blockHash: id(1), validatorIndex: 1023, signature: sig },
    b: { type: 2, height: BIG, round: 0xffff, blockHash: id(2), validatorIndex: 1023, signature: sig },
  },
};

test('every kind: the maximal body round-trips and fits its size limit', () => {
  const kinds = Object.values(TxKind);
  assert.is(Object.keys(BODY_CODECS).length, kinds.length);
  for (const k of kinds) {
    const body = MAX_BODIES[k];
    const tuple = encodeBody(k, body as never);
    assert.equal(decodeBody({ kind: k, body: tuple }), body, TX_KIND_NAMES[k]);
    assert.ok(
      bodySize(tuple) <= BODY_CODECS[k].maxBytes,
      `${TX_KIND_NAMES[k]}: ${bodySize(tuple)} > ${BODY_CODECS[k].maxBytes}`,
    );
  }
});

test('governance bodies of every action round-trip', () => {
  for (const b of [
    {
      action: GovAction.ADD_VALIDATOR,
      org: id(1),
      consensusKey: id(2),
      power: 10,
      peerId: '12D3KooWTestPeer',
      consensusProof: new Uint8Array(64),
    },
    { action: GovAction.REMOVE_VALIDATOR, org: id(1) },
    { action: GovAction.ADD_ORGANIZATION, pubkey: id(1), proof: new Uint8Array(64), name: 'Clinic' },
  ] as const) {
    const k = TxKind.PROPOSE_VALIDATOR_CHANGE;
    assert.equal(decodeBody({ kind: k, body: encodeBody(k, b) }), b);
  }
});

const rejects = (kind: number, body: unknown, what: string): void => {
  try {
    decodeBody({ kind, body });
    assert.unreachable(`accepted ${what}`);
  } catch (err) {
    assert.ok(isCoded(err, TxErrorCode.BAD_BODY), `${what}: ${String(err)}`);
  }
};

test('bad bodies are BAD_BODY: lengths, bounds, duplicates, masks, times, free text', () => {
  const A = TxKind.ACCESS;
  rejects(A, [id(1), [id(2)]], 'short tuple');
  rejects(A, [id(1), [id(2)], 1, 0], 'long tuple');
  rejects(A, [new Uint8Array(31), [id(2)], 1], 'short id');
  rejects(A, [id(1), [], 1], 'no records');
  rejects(A, [id(1), [id(2), id(2)], 1], 'duplicate records');
  rejects(A, [id(1), Array.from({ length: 17 }, (_, i) => id(i)), 1], 'too many records');
  rejects(A, [id(1), [id(2)], 0], 'purpose 0');
  rejects(A, [id(1), [id(2)], 8], 'unknown purpose');
  rejects(A, [id(1), [id(2)], -1], 'negative');
  rejects(A, [id(1), [id(2)], 1.5], 'float');
  rejects(A, { patient: id(1) }, 'map instead of tuple');
  const add = encodeBody(TxKind.ADD_RECORD, MAX_BODIES[TxKind.ADD_RECORD]);
  const withField = (i: number, v: unknown) => add.map((x, j) => (j === i ? v : x));
  rejects(TxKind.ADD_RECORD, withField(4, new Uint8Array(LOCATOR_MAX_BYTES + 1)), 'locator too long');
  rejects(TxKind.ADD_RECORD, withField(4, new Uint8Array(0)), 'empty locator');
  rejects(TxKind.ADD_RECORD, withField(4, 'Jane Doe, 1970-01-01'), 'text locator');
  rejects(TxKind.ADD_RECORD, withField(2, RESOURCE_TYPES.length), 'type outside the allowlist');
  rejects(TxKind.ADD_RECORD, withField(2, 'Patient'), 'type as text');
  rejects(TxKind.ADD_RECORD, withField(3, new Uint8Array(31)), 'commitment length');
  const grant = encodeBody(TxKind.GRANT_CONSENT, MAX_BODIES[TxKind.GRANT_CONSENT]);
  const g = (i: number, v: unknown) => grant.map((x, j) => (j === i ? v : x));
  rejects(
    TxKind.GRANT_CONSENT,
    g(2, []).map((x, j) => (j === 3 ? 0 : x)),
    'empty scope',
  );
  rejects(TxKind.GRANT_CONSENT, g(3, 2 ** RESOURCE_TYPES.length), 'unknown type bit');
  rejects(TxKind.GRANT_CONSENT, g(4, 0), 'no action');
  rejects(TxKind.GRANT_CONSENT, g(4, 4), 'unknown action');
  rejects(TxKind.GRANT_CONSENT, g(5, 1), 'purpose bit 0');
  rejects(TxKind.GRANT_CONSENT, g(7, BIG - 1), 'expiry not after not-before');
  rejects(TxKind.GRANT_CONSENT, g(1, id(1)), 'patient as own grantee');
  rejects(TxKind.ISSUE_CREDENTIAL, [id(1), 1, 5, 0, 10], 'qualifier on a license');
  rejects(TxKind.ISSUE_CREDENTIAL, [id(1), 4, 0, 0, 10], 'unknown credential type');
  rejects(TxKind.ISSUE_CREDENTIAL, [id(1), 1, 0, 10, 10], 'empty validity');
  rejects(TxKind.SET_RECOVERY, [[id(1), id(2)], 3], 'threshold above guardians');
  rejects(TxKind.SET_RECOVERY, [[id(1), id(2)], 0], 'threshold 0');
  rejects(TxKind.SET_RECOVERY, [[id(1), id(1)], 1], 'duplicate guardians');
  rejects(TxKind.BREAK_GLASS, [id(1), 1], 'TREAT is not an emergency reason');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [1, id(1), sig, 'Caf\u00e9'], 'non-ASCII name');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [1, id(1), sig, 'x'.repeat(ORG_NAME_MAX + 1)], 'long name');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [1, id(1), sig, ''], 'empty name');
  const proof = new Uint8Array(64);
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [2, id(1), id(2), 0, 'QmPeer', proof], 'zero power');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [2, id(1), id(2), 1], 'a seat without peer id and consensus proof');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [2, id(1), id(2), 1, 'Qm/../x', proof], 'peer id outside base58');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [2, id(1), id(2), 1, 'z'.repeat(PEER_ID_MAX + 1), proof], 'long peer id');
  rejects(TxKind.PROPOSE_VALIDATOR_CHANGE, [9, id(1)], 'unknown action');
  rejects(TxKind.CANCEL_RECOVERY, [0], 'cancel with fields');
  rejects(TxKind.ATTEST_DELETION, [id(1), new Uint8Array(31)], 'short receipt hash');
  rejects(TxKind.ATTEST_DELETION, [id(1), 'receipt of Jane Doe'], 'text receipt hash');
  rejects(TxKind.ATTEST_DELETION, [id(1), id(2), id(3)], 'extra field');
  try {
    decodeBody({ kind: 99, body: [] });
    assert.unreachable();
  } catch (err) {
    assert.ok(isCoded(err, TxErrorCode.UNKNOWN_KIND));
  }
});

test('property: any value that decodes re-encodes to the same tuple (access, consent)', () => {
  const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
  fc.assert(
    fc.property(
      fc.tuple(idArb, fc.array(idArb, { minLength: 0, maxLength: 18 }), fc.integer({ min: -1, max: 9 })),
      (raw) => {
        try {
          const b = decodeBody({ kind: TxKind.ACCESS, body: raw }) as BodyByKind[typeof TxKind.ACCESS];
          assert.equal(encodeBody(TxKind.ACCESS, b), raw);
        } catch (err) {
          assert.ok(isCoded(err, TxErrorCode.BAD_BODY));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a built and signed tx decodes from its wire bytes with the same body, and verifies', () => {
  const sk = sha256(utf8('sk-1'));
  const pk = publicKeyOf(sk);
  const f = buildTx(
    TxKind.ACCESS,
    { chainId: 'c', signer: identityId(pk), pubkey: pk, expiresAt: 123, nonce: new Uint8Array([1]) },
    { patient: id(1), records: [id(2), id(3)], purpose: purposeCode('TREAT') },
  );
  const tx = signTx(f, sk);
  const back = decodeTx(tx.bytes);
  assert.ok(equal(back.hash, tx.hash));
  assert.equal(decodeBody(back), { patient: id(1), records: [id(2), id(3)], purpose: 1 });
  assert.ok(verifyTxSignature(back));
});

test('builders: masks from names, co-signatures under their own domains', () => {
  assert.is(purposesMask(['TREAT', 'ETREAT']), 0b110);
  assert.is(actionsMask(['read', 'write']), 3);
  assert.is(typesMask(['AllergyIntolerance', 'ImagingStudy']), 1 | (1 << resourceTypeCode('ImagingStudy')));
  assert.throws(() => purposesMask(['FUN']));
  assert.throws(() => typesMask(['Patient']));
  const orgSk = sha256(utf8('org'));
  const orgPk = publicKeyOf(orgSk);
  const pSk = sha256(utf8('patient'));
  const pPk = publicKeyOf(pSk);
  const f = registerPatient({
    chainId: 'c',
    pubkey: pPk,
    expiresAt: 1,
    org: identityId(orgPk),
    orgSign: (m) => sign(m, orgSk),
  });
  assert.ok(equal(f.signer, identityId(pPk)));
  const body = decodeBody(f) as BodyByKind[typeof TxKind.REGISTER_PATIENT];
  const msg = signingMessage(SignPurpose.COSIGN, 'c', registerPatientCosignPayload(identityId(pPk), pPk));
  assert.ok(verify(body.orgSig, msg, orgPk));
  assert.not.ok(
    verify(body.orgSig, signingMessage(SignPurpose.TX, 'c', registerPatientCosignPayload(identityId(pPk), pPk)), orgPk),
  );
  const newSk = sha256(utf8('new'));
  const newPk = publicKeyOf(newSk);
  const r = decodeBody(
    rotateKey({ chainId: 'c', signer: id(7), pubkey: pPk, expiresAt: 1 }, newPk, (m) => sign(m, newSk)),
  ) as BodyByKind[typeof TxKind.ROTATE_KEY];
  assert.ok(verify(r.proof, signingMessage(SignPurpose.KEY_PROOF, 'c', keyProofPayload(id(7), newPk)), newPk));
  assert.ok(equal(encode(['key-proof', id(7), newPk]), keyProofPayload(id(7), newPk)));
});

test('one builder per kind: every built tx carries a valid body of its kind', () => {
  const env = { chainId: 'c', signer: id(1), pubkey: id(2), expiresAt: 5 };
  const sk = sha256(utf8('k'));
  const signer = (m: Uint8Array) => sign(m, sk);
  const built = [
    registerPatient({ chainId: 'c', pubkey: publicKeyOf(sk), expiresAt: 5, org: id(3), orgSign: signer }),
    B.registerPractitioner(env, publicKeyOf(sk), signer),
    rotateKey(env, publicKeyOf(sk), signer),
    B.setDelegate(env, { delegate: id(3), expiresAt: 9 }),
    B.revokeDelegate(env, { delegate: id(3) }),
    B.setRecovery(env, { guardians: [id(3), id(4)], threshold: 2 }),
    B.startRecovery(env, id(3), publicKeyOf(sk), signer, [{ guardian: id(4), sig }]),
    B.cancelRecovery(env),
    B.finishRecovery(env, id(3)),
    B.issueCredential(env, { practitioner: id(3), credType: 1, qualifier: 0, validFrom: 1, validUntil: 2 }),
    B.revokeCredential(env, { practitioner: id(3), credType: 1, qualifier: 0 }),
    B.addRecord(env, MAX_BODIES[TxKind.ADD_RECORD]),
    B.eraseRecord(env, id(3)),
    B.setLegalHold(env, id(3), true),
    B.attestDeletion(env, { record: id(3), receiptHash: id(4) }),
    B.grantConsent(env, {
      patient: id(3),
      grantee: id(4),
      types: ['ImagingStudy'],
      purposes: ['TREAT'],
      actions: ['read'],
      notBefore: 1,
      expiresAt: 2,
    }),
    B.revokeConsent(env, { patient: id(3), grantee: id(4), consent: id(5) }),
    B.access(env, { patient: id(3), records: [id(4)], purpose: 1 }),
    B.breakGlass(env, { patient: id(3), reason: 7 }),
    B.reviewEmergency(env, { session: id(3), justified: true }),
    B.reinstate(env, id(3)),
    B.proposeOrganization(env, publicKeyOf(sk), signer, 'Clinic'),
    B.proposeValidatorChange(env, { action: GovAction.REMOVE_VALIDATOR, org: id(3) }),
    B.voteValidatorChange(env, id(3)),
    B.reportEvidence(env, MAX_BODIES[TxKind.EVIDENCE]),
  ];
  assert.equal(
    built.map((f) => f.kind).sort((a, b) => a - b),
    [...Object.values(TxKind), TxKind.PROPOSE_VALIDATOR_CHANGE].sort((a, b) => a - b),
  );
  for (const f of built) decodeBody(f);
});

test.run();
