import type { Tx } from '../../src/chain/tx.js';
import { equal } from '../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { verify } from '../../src/crypto/ed25519.js';
import { keyProofPayload } from '../../src/tx/cosign.js';
import { IdentityType, ReasonCode } from '../../src/tx/kinds.js';
import { TxFailure } from '../exec/machine.js';
import type { StateReader, StateView } from '../exec/view.js';
import { credentialKeyRO, delegateKey, identityKeyRO, identityPubkeyKey } from './keys.js';
import {
  C_ACTIONS,
  C_EXPIRES,
  C_NOT_BEFORE,
  C_PURPOSES,
  C_RECORDS,
  C_REVOKED,
  C_TYPES,
  type ConsentEntry,
  credentialValid,
  decodeCredential,
  decodeIdentity,
  decodeTuple,
  type Identity,
  licensed,
} from './values.js';

/** Shared rules: who is acting, with which authority, and what a consent covers. */

export function fail(code: ReasonCode): never {
  throw new TxFailure(code);
}

export function getIdentity(st: StateReader, id: Uint8Array): Identity | undefined {
  const v = st.get(identityKeyRO(id));
  return v === undefined ? undefined : decodeIdentity(v);
}

/** The signer's identity, whose current key must be the tx's key (rule: no one acts with another's or an old key). */
export function actor(st: StateView, tx: Tx): Identity {
  const me = getIdentity(st, tx.signer);
  if (me === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  if (!equal(me.pubkey, tx.pubkey)) fail(ReasonCode.KEY_MISMATCH);
  return me;
}

export function actorOfType(st: StateView, tx: Tx, type: IdentityType): Identity {
  const me = actor(st, tx);
  if (me.type !== type) fail(ReasonCode.WRONG_IDENTITY_TYPE);
  return me;
}

export function identityOfType(st: StateView, id: Uint8Array, type: IdentityType): Identity {
  const i = getIdentity(st, id);
  if (i === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  if (i.type !== type) fail(ReasonCode.WRONG_IDENTITY_TYPE);
  return i;
}

/** A delegate acts for `patient` only before the delegation's expiry (block time). */
export function isLiveDelegate(st: StateView, patient: Uint8Array, delegate: Uint8Array, time: number): boolean {
  const v = st.get(delegateKey(patient, delegate));
  if (v === undefined) return false;
  return time < (decodeTuple(v)[0] as number);
}

/** The patient or a live delegate of the patient (consents, erasure). */
export function requirePatientOrDelegate(st: StateView, tx: Tx, patient: Uint8Array, time: number): void {
  if (equal(tx.signer, patient)) return;
  if (!isLiveDelegate(st, patient, tx.signer, time)) fail(ReasonCode.NOT_AUTHORIZED);
}

export function hasValidCredential(st: StateReader, practitioner: Uint8Array, type: number, time: number): boolean {
  const v = st.get(credentialKeyRO(practitioner, type, 0));
  return v !== undefined && credentialValid(decodeCredential(v), time);
}

/** The practitioner's license, from the copy on the identity (see Identity.licenseFrom). */
export const hasLicense = (me: Identity, time: number): boolean =>
  me.type === IdentityType.PRACTITIONER && licensed(me, time);

/** A key entering state must never have been held by any identity (ids never move between people). */
export function requireFreshKey(st: StateView, pubkey: Uint8Array): void {
  if (st.has(identityPubkeyKey(pubkey))) fail(ReasonCode.KEY_IN_USE);
}

/** A co-signature inside a body, under its own domain. */
export function verifyCosig(
  purpose: SignPurpose,
  chainId: string,
  payload: Uint8Array,
  sig: Uint8Array,
  pubkey: Uint8Array,
): boolean {
  return verify(sig, signingMessage(purpose, chainId, payload), pubkey);
}

export function verifyKeyProof(chainId: string, identity: Uint8Array, pubkey: Uint8Array, proof: Uint8Array): boolean {
  return verifyCosig(SignPurpose.KEY_PROOF, chainId, keyProofPayload(identity, pubkey), proof, pubkey);
}

// ---- consent coverage ----

/**
 * How far a consent gets toward covering (record, type, action, purpose) at
 * `time`; the checks run in a fixed order and the first that fails names the
 * reason. 6 = covers.
 */
export const COVER_CODES: readonly ReasonCode[] = [
  ReasonCode.NO_CONSENT,
  ReasonCode.ACTION_MISMATCH,
  ReasonCode.PURPOSE_MISMATCH,
  ReasonCode.REVOKED,
  ReasonCode.NOT_YET_VALID,
  ReasonCode.EXPIRED,
];
export const COVERS = 6;

function inScope(c: ConsentEntry, record: Uint8Array, type: number): boolean {
  if ((c[C_TYPES] >>> type) & 1) return true;
  const rs = c[C_RECORDS];
  for (let i = 0; i < rs.length; i++) if (equal(rs[i] as Uint8Array, record)) return true;
  return false;
}

export function coverStage(
  c: ConsentEntry,
  record: Uint8Array,
  type: number,
  action: number,
  purpose: number,
  time: number,
): number {
  if (!inScope(c, record, type)) return 0;
  if ((c[C_ACTIONS] & action) === 0) return 1;
  if (((c[C_PURPOSES] >>> purpose) & 1) === 0) return 2;
  if (c[C_REVOKED] !== 0) return 3;
  if (time < c[C_NOT_BEFORE]) return 4;
  if (time >= c[C_EXPIRES]) return 5;
  return COVERS;
}

/**
 * '' when some consent of the pair covers, else the reason of the consent
 * that came closest (the order of consents does not matter).
 */
export function coverage(
  list: readonly ConsentEntry[] | undefined,
  record: Uint8Array,
  type: number,
  action: number,
  purpose: number,
  time: number,
): ReasonCode | '' {
  if (list === undefined) return ReasonCode.NO_CONSENT;
  let best = 0;
  for (let i = 0; i < list.length; i++) {
    const s = coverStage(list[i] as ConsentEntry, record, type, action, purpose, time);
    if (s === COVERS) return '';
    if (s > best) best = s;
  }
  return COVER_CODES[best] as ReasonCode;
}

/** A consent is dead once revoked or expired; dead entries make room for new grants. */
export const consentDead = (c: ConsentEntry, time: number): boolean => c[C_REVOKED] !== 0 || time >= c[C_EXPIRES];

export const isGranteeType = (t: number): boolean => t === IdentityType.PRACTITIONER || t === IdentityType.ORGANIZATION;
