/**
 * Joining the chain from a browser, without the private key ever leaving it. A new person's
 * browser makes a registration request (text to hand to the organization: copy, mail, QR):
 *   - a patient's carries the public key; the organization co-signs (patient id, key) and hands
 *     back its co-signature, with which the patient's browser signs and sends the registration;
 *   - a practitioner's also carries the key's proof of possession, so the organization sends the
 *     registration itself.
 * Requests are size-checked before parsing and checked for shape and chain; the chain checks the
 * signatures.
 */

import { identityId } from '../chain/genesis.js';
import { type Account, hex, signerOf, unhex } from '../client/index.js';
import { cosignMessage, keyProofMessage, registerPatientCosignPayload } from '../tx/cosign.js';

export interface PatientRequest {
  medchain: 'register-patient';
  chainId: string;
  pubkey: string;
}
export interface PractitionerRequest {
  medchain: 'register-practitioner';
  chainId: string;
  pubkey: string;
  proof: string;
}
export interface PatientCosign {
  medchain: 'register-patient-cosign';
  chainId: string;
  org: string;
  pubkey: string;
  orgSig: string;
}
export type Request = PatientRequest | PractitionerRequest;

const MAX_TEXT = 2048;
const isHex = (v: unknown, bytes: number): v is string =>
  typeof v === 'string' && new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`).test(v);

function parse(text: string, chainId: string): Record<string, unknown> {
  if (text.length > MAX_TEXT) throw new Error('This text is too long to be a registration request.');
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch {
    throw new Error('This is not a registration request (not JSON).');
  }
  if (typeof v !== 'object' || v === null) throw new Error('This is not a registration request.');
  const o = v as Record<string, unknown>;
  if (o.chainId !== chainId) throw new Error('This request is for another chain.');
  if (!isHex(o.pubkey, 32)) throw new Error('This request has no valid public key.');
  return o;
}

export function patientRequest(chainId: string, a: Account): string {
  const r: PatientRequest = { medchain: 'register-patient', chainId, pubkey: hex(a.publicKey) };
  return JSON.stringify(r);
}

export function practitionerRequest(chainId: string, a: Account): string {
  const proof = signerOf(a)(keyProofMessage(chainId, identityId(a.publicKey), a.publicKey));
  const r: PractitionerRequest = {
    medchain: 'register-practitioner',
    chainId,
    pubkey: hex(a.publicKey),
    proof: hex(proof),
  };
  return JSON.stringify(r);
}

/** A request the organization's officer pasted. */
export function parseRequest(text: string, chainId: string): Request {
  const o = parse(text, chainId);
  if (o.medchain === 'register-patient') return { medchain: o.medchain, chainId, pubkey: o.pubkey as string };
  if (o.medchain === 'register-practitioner' && isHex(o.proof, 64))
    return { medchain: o.medchain, chainId, pubkey: o.pubkey as string, proof: o.proof };
  throw new Error('This is not a registration request.');
}

/** The organization's answer to a patient's request. */
export function cosignPatient(req: PatientRequest, org: Account): string {
  const pk = unhex(req.pubkey);
  const orgSig = signerOf(org)(cosignMessage(req.chainId, registerPatientCosignPayload(identityId(pk), pk)));
  const r: PatientCosign = {
    medchain: 'register-patient-cosign',
    chainId: req.chainId,
    org: hex(org.id),
    pubkey: req.pubkey,
    orgSig: hex(orgSig),
  };
  return JSON.stringify(r);
}

/** The answer the patient pasted: for this chain and for her key. */
export function parseCosign(text: string, chainId: string, a: Account): PatientCosign {
  const o = parse(text, chainId);
  if (o.medchain !== 'register-patient-cosign' || !isHex(o.org, 32) || !isHex(o.orgSig, 64))
    throw new Error('This is not an organization’s answer to a registration request.');
  if (o.pubkey !== hex(a.publicKey)) throw new Error('This answer is for another key.');
  return { medchain: o.medchain, chainId, org: o.org, pubkey: o.pubkey, orgSig: o.orgSig };
}
