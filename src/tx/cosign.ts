import { encode } from '../codec/cbor.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';

/**
 * Signatures that live inside bodies. Each payload is a CBOR tuple led by a
 * label, signed under its own domain (COSIGN or KEY_PROOF) and the chain id,
 * so it can never verify as a transaction or as another kind's co-signature.
 */

/** The onboarding organization vouches for (patient id, patient key). */
export const registerPatientCosignPayload = (patient: Uint8Array, pubkey: Uint8Array): Uint8Array =>
  encode(['register-patient', patient, pubkey]);

/** Possession of `pubkey` by the holder, for `identity` (registration, rotation, recovery, new organizations). */
export const keyProofPayload = (identity: Uint8Array, pubkey: Uint8Array): Uint8Array =>
  encode(['key-proof', identity, pubkey]);

/**
 * Possession of a consensus key, for a seat of `org` whose node has libp2p id `peerId`. Its own
 * label: never valid as an identity key's proof, though both are signed under KEY_PROOF.
 */
export const consensusKeyProofPayload = (org: Uint8Array, consensusKey: Uint8Array, peerId: string): Uint8Array =>
  encode(['consensus-key', org, consensusKey, peerId]);

/**
 * A guardian approves setting `newPubkey` on `patient`. `epoch` is the
 * recovery epoch in state (it moves on every start and every new guardian
 * set), so an approval is good for one attempt only.
 */
export const recoveryCosignPayload = (patient: Uint8Array, newPubkey: Uint8Array, epoch: number): Uint8Array =>
  encode(['recovery', patient, newPubkey, epoch]);

export const cosignMessage = (chainId: string, payload: Uint8Array): Uint8Array =>
  signingMessage(SignPurpose.COSIGN, chainId, payload);

export const keyProofMessage = (chainId: string, identity: Uint8Array, pubkey: Uint8Array): Uint8Array =>
  signingMessage(SignPurpose.KEY_PROOF, chainId, keyProofPayload(identity, pubkey));

export const consensusKeyProofMessage = (
  chainId: string,
  org: Uint8Array,
  consensusKey: Uint8Array,
  peerId: string,
): Uint8Array => signingMessage(SignPurpose.KEY_PROOF, chainId, consensusKeyProofPayload(org, consensusKey, peerId));
