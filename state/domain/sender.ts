import { identityId } from '../../src/chain/genesis.js';
import type { Tx } from '../../src/chain/tx.js';
import { equal } from '../../src/codec/bytes.js';
import { SignPurpose } from '../../src/crypto/domain.js';
import type { FinishRecoveryBody, RegisterPatientBody } from '../../src/tx/bodies.js';
import { registerPatientCosignPayload } from '../../src/tx/cosign.js';
import { IdentityType, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import type { StateReader } from '../exec/view.js';
import { validatorSet } from './governance.js';
import { identityKeyRO, recoveringKey } from './keys.js';
import { verifyCosig } from './rules.js';
import { decodeIdentity, decodePending } from './values.js';

/**
 * Kinds a suspended identity may still send: each only takes authority away
 * from others or protects the identity itself (a suspended patient must stay
 * able to withdraw a consent, drop a delegate, stop a hijacked recovery or
 * replace a leaked key). Everything else waits for REINSTATE by its organization.
 */
const WHILE_SUSPENDED: ReadonlySet<number> = new Set([
  TxKind.REVOKE_CONSENT,
  TxKind.REVOKE_DELEGATE,
  TxKind.CANCEL_RECOVERY,
  TxKind.ROTATE_KEY,
]);

/**
 * The sender rule: who may put a transaction in a block at all. A tx must be
 * signed with the current key of a registered identity that is not suspended,
 * except where the kind carries its own proof instead:
 * - REGISTER_PATIENT: the new identity (signer = id of the signing key, not yet
 *   registered), co-signed by the current key of a live onboarding organization;
 * - FINISH_RECOVERY by the patient: the key a guardian-approved recovery installs;
 * - EVIDENCE: a current validator, with its consensus key.
 *
 * Judged against the state the tx would execute on: committed state at
 * mempool admission; the block's state so far in the builder (which drops a
 * failing tx, e.g. after a key rotation or a suspension in between) and in
 * every validator's execution (a block that carries one is invalid). So no
 * throwaway key, no one else's id in `signer` and no suspended identity ever
 * writes a receipt, let alone an entry in a patient's disclosures.
 * Returns the reason, or null. Cheap state reads, then at most one co-signature.
 */
export function senderError(st: StateReader, chainId: string, tx: Tx, body: unknown): ReasonCode | null {
  switch (tx.kind) {
    case TxKind.REGISTER_PATIENT:
      return registrationError(st, chainId, tx, body as RegisterPatientBody);
    case TxKind.EVIDENCE: {
      const v = validatorSet(st).find((e) => equal(e[0], tx.signer));
      return v !== undefined && equal(v[1], tx.pubkey) ? null : ReasonCode.NOT_AUTHORIZED;
    }
    case TxKind.FINISH_RECOVERY: {
      const patient = (body as FinishRecoveryBody).patient;
      if (!equal(tx.signer, patient)) break;
      const p = st.get(recoveringKey(patient));
      if (p === undefined) return ReasonCode.NOT_FOUND;
      return equal(decodePending(p).newPubkey, tx.pubkey) ? null : ReasonCode.KEY_MISMATCH;
    }
  }
  const v = st.get(identityKeyRO(tx.signer));
  if (v === undefined) return ReasonCode.UNKNOWN_IDENTITY;
  const me = decodeIdentity(v);
  if (!equal(me.pubkey, tx.pubkey)) return ReasonCode.KEY_MISMATCH;
  if (me.suspended && !WHILE_SUSPENDED.has(tx.kind)) return ReasonCode.SUSPENDED;
  return null;
}

function registrationError(st: StateReader, chainId: string, tx: Tx, b: RegisterPatientBody): ReasonCode | null {
  // The id is the hash of the first key: self-registration only, signed by that key.
  if (!equal(tx.signer, identityId(tx.pubkey))) return ReasonCode.KEY_MISMATCH;
  if (st.get(identityKeyRO(tx.signer)) !== undefined) return ReasonCode.ALREADY_EXISTS;
  const ov = st.get(identityKeyRO(b.org));
  if (ov === undefined) return ReasonCode.UNKNOWN_IDENTITY;
  const org = decodeIdentity(ov);
  if (org.type !== IdentityType.ORGANIZATION) return ReasonCode.WRONG_IDENTITY_TYPE;
  if (org.suspended) return ReasonCode.SUSPENDED;
  // Identity proofing: the onboarding organization co-signs (patient id, key) with its current key.
  const payload = registerPatientCosignPayload(tx.signer, tx.pubkey);
  return verifyCosig(SignPurpose.COSIGN, chainId, payload, b.orgSig, org.pubkey) ? null : ReasonCode.BAD_PROOF;
}
