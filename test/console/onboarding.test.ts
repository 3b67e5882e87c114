/** Registration requests and answers as the console passes them between browsers: checked before use, bound to one chain and one key. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../src/chain/genesis.js';
import { generateAccount, hex, unhex } from '../../src/client/index.js';
import {
  cosignPatient,
  parseCosign,
  parseRequest,
  patientRequest,
  practitionerRequest,
} from '../../src/console/onboarding.js';
import { verify } from '../../src/crypto/ed25519.js';
import { cosignMessage, keyProofMessage, registerPatientCosignPayload } from '../../src/tx/cosign.js';

const CHAIN = 'medchain-test';
const patient = generateAccount();
const org = generateAccount();

test("a patient's request holds her public key only; the organization's answer co-signs (her id, her key)", () => {
  const text = patientRequest(CHAIN, patient);
  assert.not.match(text, hex(patient.secretKey).slice(2));
  const req = parseRequest(text, CHAIN);
  assert.is(req.medchain, 'register-patient');
  const answer = parseCosign(cosignPatient(req as never, org), CHAIN, patient);
  const msg = cosignMessage(CHAIN, registerPatientCosignPayload(patient.id, patient.publicKey));
  assert.ok(verify(unhex(answer.orgSig), msg, org.publicKey));
  assert.is(answer.org, hex(org.id));
});

test("a practitioner's request proves possession of the key", () => {
  const a = generateAccount();
  const req = parseRequest(practitionerRequest(CHAIN, a), CHAIN);
  assert.is(req.medchain, 'register-practitioner');
  const proof = unhex((req as { proof: string }).proof);
  assert.ok(verify(proof, keyProofMessage(CHAIN, identityId(a.publicKey), a.publicKey), a.publicKey));
});

test('requests for another chain, too long, not JSON or of another shape are refused before use', () => {
  const good = patientRequest(CHAIN, patient);
  assert.throws(() => parseRequest(good, 'other-chain'), /another chain/);
  assert.throws(() => parseRequest(`${good}${' '.repeat(4096)}`, CHAIN), /too long/);
  assert.throws(() => parseRequest('not json', CHAIN), /not JSON/);
  assert.throws(() => parseRequest(JSON.stringify({ chainId: CHAIN, pubkey: '0x12' }), CHAIN), /public key/);
  const noProof = JSON.stringify({ ...JSON.parse(good), medchain: 'register-practitioner' });
  assert.throws(() => parseRequest(noProof, CHAIN), /not a registration request/);
});

test("an answer for another key is refused (a patient cannot use someone else's co-signature)", () => {
  const answer = cosignPatient(parseRequest(patientRequest(CHAIN, patient), CHAIN) as never, org);
  assert.throws(() => parseCosign(answer, CHAIN, generateAccount()), /another key/);
  assert.throws(() => parseCosign(answer, 'other-chain', patient), /another chain/);
  assert.throws(() => parseCosign(patientRequest(CHAIN, patient), CHAIN, patient), /not an organization/);
});

test.run();
