import { identityId } from '../chain/genesis.js';
import type { TxFields } from '../chain/tx.js';
import { type BodyByKind, encodeBody, type GrantConsentBody, type MedicalKind, type ValidatorSeat } from './bodies.js';
import {
  consensusKeyProofMessage,
  cosignMessage,
  keyProofMessage,
  recoveryCosignPayload,
  registerPatientCosignPayload,
} from './cosign.js';
import { Action, GovAction, PURPOSE_NAMES, type ResourceType, TxKind, typesMask } from './kinds.js';

/**
 * Transaction builders for clients: they return unsigned `TxFields` (sign
 * with `signTx` from ./sign.js). Co-signatures that go inside bodies are made
 * through `Signer` callbacks, so a wallet, a hardware key or a browser
 * @noble/ed25519 key can sign without this code seeing the secret.
 */

/** Signs a message with one key (e.g. `(m) => sign(m, sk)`). */
export type Signer = (message: Uint8Array) => Uint8Array;

/** The envelope around every body: who acts, with which key, until when. */
export interface Envelope {
  chainId: string;
  /** The acting identity's id. */
  signer: Uint8Array;
  /** The key that signs: the identity's current key. */
  pubkey: Uint8Array;
  /** Last block time (ms) at which the tx may be included. */
  expiresAt: number;
  /** Makes two otherwise identical txs distinct (≤ 16 bytes). */
  nonce?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function buildTx<K extends MedicalKind>(kind: K, env: Envelope, body: BodyByKind[K]): TxFields {
  return {
    chainId: env.chainId,
    kind,
    signer: env.signer,
    pubkey: env.pubkey,
    expiresAt: env.expiresAt,
    nonce: env.nonce ?? EMPTY,
    body: encodeBody(kind, body),
  };
}

// ---- masks from names ----

export function purposesMask(names: readonly string[]): number {
  let m = 0;
  for (const n of names) {
    const i = PURPOSE_NAMES.indexOf(n);
    if (i <= 0) throw new RangeError('unknown purpose of use');
    m |= 1 << i;
  }
  return m >>> 0;
}

export function purposeCode(name: string): number {
  const i = PURPOSE_NAMES.indexOf(name);
  if (i <= 0) throw new RangeError('unknown purpose of use');
  return i;
}

export const actionsMask = (names: readonly ('read' | 'write')[]): number =>
  names.reduce((m, n) => m | (n === 'read' ? Action.READ : Action.WRITE), 0);

export { typesMask };

// ---- builders with co-signatures ----

/**
 * A patient's self-registration: signed (later, by signTx) with the patient's
 * key; the onboarding organization co-signs here.
 */
export function registerPatient(
  p: Omit<Envelope, 'signer' | 'pubkey'> & { pubkey: Uint8Array; org: Uint8Array; orgSign: Signer },
): TxFields {
  const patient = identityId(p.pubkey);
  const orgSig = p.orgSign(cosignMessage(p.chainId, registerPatientCosignPayload(patient, p.pubkey)));
  return buildTx(TxKind.REGISTER_PATIENT, { ...p, signer: patient }, { org: p.org, orgSig });
}

/** An organization registers a practitioner, who proves possession of the new key. */
export function registerPractitioner(
  env: Envelope,
  practitionerPubkey: Uint8Array,
  practitionerSign: Signer,
): TxFields {
  const proof = practitionerSign(keyProofMessage(env.chainId, identityId(practitionerPubkey), practitionerPubkey));
  return buildTx(TxKind.REGISTER_PRACTITIONER, env, { pubkey: practitionerPubkey, proof });
}

/** Rotates the signer's key: signed with the current key, the new key proves possession. */
export function rotateKey(env: Envelope, newPubkey: Uint8Array, newSign: Signer): TxFields {
  const proof = newSign(keyProofMessage(env.chainId, env.signer, newPubkey));
  return buildTx(TxKind.ROTATE_KEY, env, { newPubkey, proof });
}

/** Guardians' approval of a recovery (each guardian signs this on their own device). */
export const recoveryApproval = (
  chainId: string,
  patient: Uint8Array,
  newPubkey: Uint8Array,
  epoch: number,
  guardianSign: Signer,
): Uint8Array => guardianSign(cosignMessage(chainId, recoveryCosignPayload(patient, newPubkey, epoch)));

/**
 * Starts a guardian recovery, signed by one guardian (`env`); `approvals` come
 * from the other guardians (see `recoveryApproval`), `newSign` proves the new key.
 */
export function startRecovery(
  env: Envelope,
  patient: Uint8Array,
  newPubkey: Uint8Array,
  newSign: Signer,
  approvals: { guardian: Uint8Array; sig: Uint8Array }[],
): TxFields {
  const proof = newSign(keyProofMessage(env.chainId, patient, newPubkey));
  return buildTx(TxKind.START_RECOVERY, env, { patient, newPubkey, proof, approvals });
}

/** A validator proposes a new organization, whose key proves possession. */
export function proposeOrganization(env: Envelope, orgPubkey: Uint8Array, orgSign: Signer, name: string): TxFields {
  const proof = orgSign(keyProofMessage(env.chainId, identityId(orgPubkey), orgPubkey));
  return buildTx(TxKind.PROPOSE_VALIDATOR_CHANGE, env, {
    action: GovAction.ADD_ORGANIZATION,
    pubkey: orgPubkey,
    proof,
    name,
  });
}

/** A key's proof of possession for a new organization: signed where the key lives (see `proposeJoin`). */
export const organizationKeyProof = (chainId: string, orgPubkey: Uint8Array, orgSign: Signer): Uint8Array =>
  orgSign(keyProofMessage(chainId, identityId(orgPubkey), orgPubkey));

/**
 * A validator proposes a new organization that becomes a validator in one proposal. The proof
 * comes from the new organization (its join request), so the proposer never holds its key.
 */
export const proposeJoin = (
  env: Envelope,
  j: { pubkey: Uint8Array; proof: Uint8Array; name: string } & ValidatorSeat,
): TxFields => buildTx(TxKind.PROPOSE_VALIDATOR_CHANGE, env, { action: GovAction.JOIN, ...j });

/**
 * The consensus key's proof for a seat of `org` (its join request): signed on the new node,
 * where the consensus key lives, over the chain id, the organization, the key and the peer id.
 */
export const consensusKeyProof = (
  chainId: string,
  org: Uint8Array,
  consensusKey: Uint8Array,
  peerId: string,
  consensusSign: Signer,
): Uint8Array => consensusSign(consensusKeyProofMessage(chainId, org, consensusKey, peerId));

/** Consent from friendly names (resource types, purposes, actions). */
export function grantConsent(
  env: Envelope,
  c: Omit<GrantConsentBody, 'types' | 'purposes' | 'actions' | 'records'> & {
    records?: Uint8Array[];
    types?: readonly ResourceType[];
    purposes: readonly string[];
    actions: readonly ('read' | 'write')[];
  },
): TxFields {
  return buildTx(TxKind.GRANT_CONSENT, env, {
    patient: c.patient,
    grantee: c.grantee,
    records: c.records ?? [],
    types: typesMask(c.types ?? []),
    actions: actionsMask(c.actions),
    purposes: purposesMask(c.purposes),
    notBefore: c.notBefore,
    expiresAt: c.expiresAt,
  });
}

/**
 * Ids the chain derives: a consent's, an emergency session's and a
 * governance proposal's id is the hash of the transaction that created it.
 */
export const derivedIdOf = (tx: { hash: Uint8Array }): Uint8Array => tx.hash;

// ---- one builder per kind without co-signatures (bodies as in ./bodies.ts) ----

type B<K extends MedicalKind> = BodyByKind[K];
const K = TxKind;

export const setDelegate = (env: Envelope, b: B<typeof K.SET_DELEGATE>): TxFields => buildTx(K.SET_DELEGATE, env, b);
export const revokeDelegate = (env: Envelope, b: B<typeof K.REVOKE_DELEGATE>): TxFields =>
  buildTx(K.REVOKE_DELEGATE, env, b);
export const setRecovery = (env: Envelope, b: B<typeof K.SET_RECOVERY>): TxFields => buildTx(K.SET_RECOVERY, env, b);
export const cancelRecovery = (env: Envelope): TxFields => buildTx(K.CANCEL_RECOVERY, env, {});
export const finishRecovery = (env: Envelope, patient: Uint8Array): TxFields =>
  buildTx(K.FINISH_RECOVERY, env, { patient });
export const issueCredential = (env: Envelope, b: B<typeof K.ISSUE_CREDENTIAL>): TxFields =>
  buildTx(K.ISSUE_CREDENTIAL, env, b);
export const revokeCredential = (env: Envelope, b: B<typeof K.REVOKE_CREDENTIAL>): TxFields =>
  buildTx(K.REVOKE_CREDENTIAL, env, b);
export const addRecord = (env: Envelope, b: B<typeof K.ADD_RECORD>): TxFields => buildTx(K.ADD_RECORD, env, b);
export const eraseRecord = (env: Envelope, record: Uint8Array): TxFields => buildTx(K.ERASE_RECORD, env, { record });
export const setLegalHold = (env: Envelope, record: Uint8Array, hold: boolean): TxFields =>
  buildTx(K.SET_LEGAL_HOLD, env, { record, hold });
/** The record's custodian organization anchors the hash of its signed deletion receipt. */
export const attestDeletion = (env: Envelope, b: B<typeof K.ATTEST_DELETION>): TxFields =>
  buildTx(K.ATTEST_DELETION, env, b);
export const revokeConsent = (env: Envelope, b: B<typeof K.REVOKE_CONSENT>): TxFields =>
  buildTx(K.REVOKE_CONSENT, env, b);
export const access = (env: Envelope, b: B<typeof K.ACCESS>): TxFields => buildTx(K.ACCESS, env, b);
export const breakGlass = (env: Envelope, b: B<typeof K.BREAK_GLASS>): TxFields => buildTx(K.BREAK_GLASS, env, b);
export const reviewEmergency = (env: Envelope, b: B<typeof K.REVIEW_EMERGENCY>): TxFields =>
  buildTx(K.REVIEW_EMERGENCY, env, b);
export const reinstate = (env: Envelope, grantee: Uint8Array): TxFields => buildTx(K.REINSTATE, env, { grantee });
export const proposeValidatorChange = (env: Envelope, b: B<typeof K.PROPOSE_VALIDATOR_CHANGE>): TxFields =>
  buildTx(K.PROPOSE_VALIDATOR_CHANGE, env, b);
export const voteValidatorChange = (env: Envelope, proposal: Uint8Array): TxFields =>
  buildTx(K.VOTE_VALIDATOR_CHANGE, env, { proposal });
/** A validator reports two conflicting votes; `env` is the reporter's org id and consensus key. */
export const reportEvidence = (env: Envelope, b: B<typeof K.EVIDENCE>): TxFields => buildTx(K.EVIDENCE, env, b);
