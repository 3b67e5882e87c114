import { identityId } from '../../src/chain/genesis.js';
import { equal } from '../../src/codec/bytes.js';
import { SignPurpose } from '../../src/crypto/domain.js';
import { isValidPublicKey } from '../../src/crypto/ed25519.js';
import { recoveryCosignPayload } from '../../src/tx/cosign.js';
import { IdentityType, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import type { StateView } from '../exec/view.js';
import { handler, OK } from './handler.js';
import { delegateKey, identityKey, identityPubkeyKey, recoveringKey, recoveryKey } from './keys.js';
import {
  actor,
  actorOfType,
  fail,
  getIdentity,
  identityOfType,
  requireFreshKey,
  verifyCosig,
  verifyKeyProof,
} from './rules.js';
import {
  decodePending,
  decodeRecovery,
  encodeIdentity,
  encodePending,
  encodeRecovery,
  encodeTuple,
  type Identity,
  NO_LICENSE,
} from './values.js';

/** Writes a new identity and reserves its key forever. */
export function putIdentity(st: StateView, id: Uint8Array, i: Identity): void {
  st.set(identityKey(id), encodeIdentity(i));
  st.set(identityPubkeyKey(i.pubkey), id);
}

/** Rules for a key entering state: never held before, canonical and not small-order, possession proven. */
function admitKey(st: StateView, chainId: string, identity: Uint8Array, pubkey: Uint8Array, proof: Uint8Array): void {
  requireFreshKey(st, pubkey);
  if (!isValidPublicKey(pubkey)) fail(ReasonCode.INVALID_KEY);
  if (!verifyKeyProof(chainId, identity, pubkey, proof)) fail(ReasonCode.BAD_PROOF);
}

const setKey = (st: StateView, id: Uint8Array, me: Identity, pubkey: Uint8Array): void =>
  putIdentity(st, id, { ...me, pubkey });

/**
 * Self-registration by the new key, co-signed by the onboarding organization: the signer, the
 * organization and its co-signature are the sender rule's (./sender.ts), which every tx passes
 * before its handler runs.
 */
export const registerPatient = handler(TxKind.REGISTER_PATIENT, (ctx, tx, b) => {
  const st = ctx.state;
  requireFreshKey(st, tx.pubkey);
  if (!isValidPublicKey(tx.pubkey)) fail(ReasonCode.INVALID_KEY);
  putIdentity(st, tx.signer, {
    type: IdentityType.PATIENT,
    pubkey: tx.pubkey,
    org: b.org,
    registeredAt: ctx.time,
    suspended: false,
    name: '',
    ...NO_LICENSE,
  });
  ctx.emit({ type: 'identity.registered', attrs: { id: tx.signer, identityType: 'patient', org: b.org } });
  return OK;
});

export const registerPractitioner = handler(TxKind.REGISTER_PRACTITIONER, (ctx, tx, b) => {
  const st = ctx.state;
  actorOfType(st, tx, IdentityType.ORGANIZATION);
  const id = identityId(b.pubkey);
  if (st.has(identityKey(id))) fail(ReasonCode.ALREADY_EXISTS);
  admitKey(st, ctx.chainId, id, b.pubkey, b.proof);
  putIdentity(st, id, {
    type: IdentityType.PRACTITIONER,
    pubkey: b.pubkey,
    org: tx.signer,
    registeredAt: ctx.time,
    suspended: false,
    name: '',
    ...NO_LICENSE,
  });
  ctx.emit({ type: 'identity.registered', attrs: { id, identityType: 'practitioner', org: tx.signer } });
  return OK;
});

/** Signed by the current key; the id stays, only the key changes (an identity never moves). */
export const rotateKey = handler(TxKind.ROTATE_KEY, (ctx, tx, b) => {
  const st = ctx.state;
  const me = actor(st, tx);
  admitKey(st, ctx.chainId, tx.signer, b.newPubkey, b.proof);
  setKey(st, tx.signer, me, b.newPubkey);
  ctx.emit({ type: 'identity.key_rotated', attrs: { id: tx.signer } });
  return OK;
});

export const setDelegate = handler(TxKind.SET_DELEGATE, (ctx, tx, b) => {
  const st = ctx.state;
  actorOfType(st, tx, IdentityType.PATIENT);
  if (equal(b.delegate, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  if (getIdentity(st, b.delegate) === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  if (b.expiresAt <= ctx.time) fail(ReasonCode.EXPIRED);
  st.set(delegateKey(tx.signer, b.delegate), encodeTuple([b.expiresAt]));
  ctx.emit({ type: 'delegate.set', attrs: { patient: tx.signer, delegate: b.delegate, expiresAt: b.expiresAt } });
  return OK;
});

export const revokeDelegate = handler(TxKind.REVOKE_DELEGATE, (ctx, tx, b) => {
  const st = ctx.state;
  actorOfType(st, tx, IdentityType.PATIENT);
  const k = delegateKey(tx.signer, b.delegate);
  if (!st.has(k)) fail(ReasonCode.NOT_FOUND);
  st.delete(k);
  ctx.emit({ type: 'delegate.revoked', attrs: { patient: tx.signer, delegate: b.delegate } });
  return OK;
});

export const setRecovery = handler(TxKind.SET_RECOVERY, (ctx, tx, b) => {
  const st = ctx.state;
  actorOfType(st, tx, IdentityType.PATIENT);
  for (const g of b.guardians) {
    if (equal(g, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
    if (getIdentity(st, g) === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  }
  const old = st.get(recoveryKey(tx.signer));
  const epoch = old === undefined ? 1 : decodeRecovery(old).epoch + 1;
  st.set(recoveryKey(tx.signer), encodeRecovery({ threshold: b.threshold, guardians: b.guardians, epoch }));
  ctx.emit({
    type: 'recovery.configured',
    attrs: { patient: tx.signer, threshold: b.threshold, guardians: b.guardians.length },
  });
  return OK;
});

const isGuardian = (guardians: readonly Uint8Array[], id: Uint8Array): boolean => guardians.some((g) => equal(g, id));

export const startRecovery = handler(TxKind.START_RECOVERY, (ctx, tx, b) => {
  const st = ctx.state;
  actor(st, tx);
  identityOfType(st, b.patient, IdentityType.PATIENT);
  const cfgBytes = st.get(recoveryKey(b.patient));
  if (cfgBytes === undefined) fail(ReasonCode.NOT_FOUND);
  const cfg = decodeRecovery(cfgBytes);
  if (!isGuardian(cfg.guardians, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  if (st.has(recoveringKey(b.patient))) fail(ReasonCode.ALREADY_EXISTS);
  admitKey(st, ctx.chainId, b.patient, b.newPubkey, b.proof);
  // Each approval: another guardian, co-signing (patient, new key, epoch) with their current key.
  const payload = recoveryCosignPayload(b.patient, b.newPubkey, cfg.epoch);
  for (const a of b.approvals) {
    if (equal(a.guardian, tx.signer) || !isGuardian(cfg.guardians, a.guardian)) fail(ReasonCode.NOT_AUTHORIZED);
    const g = getIdentity(st, a.guardian);
    if (g === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
    // A suspended identity exercises no authority, not even as a co-signer.
    if (g.suspended) fail(ReasonCode.NOT_AUTHORIZED);
    if (!verifyCosig(SignPurpose.COSIGN, ctx.chainId, payload, a.sig, g.pubkey)) fail(ReasonCode.BAD_PROOF);
  }
  if (1 + b.approvals.length < cfg.threshold) fail(ReasonCode.THRESHOLD_NOT_MET);
  const readyAt = ctx.time + ctx.params.policy.recoveryDelayMs;
  st.set(recoveryKey(b.patient), encodeRecovery({ ...cfg, epoch: cfg.epoch + 1 }));
  st.set(recoveringKey(b.patient), encodePending({ newPubkey: b.newPubkey, readyAt, starter: tx.signer }));
  ctx.emit({ type: 'recovery.started', attrs: { patient: b.patient, by: tx.signer, readyAt } });
  return OK;
});

/** The current key stops a recovery during the delay. */
export const cancelRecovery = handler(TxKind.CANCEL_RECOVERY, (ctx, tx) => {
  const st = ctx.state;
  actorOfType(st, tx, IdentityType.PATIENT);
  const k = recoveringKey(tx.signer);
  if (!st.has(k)) fail(ReasonCode.NOT_FOUND);
  st.delete(k);
  ctx.emit({ type: 'recovery.cancelled', attrs: { patient: tx.signer } });
  return OK;
});

/** After the delay: a guardian, or the patient with the new key, makes the new key current. */
export const finishRecovery = handler(TxKind.FINISH_RECOVERY, (ctx, tx, b) => {
  const st = ctx.state;
  const pendingBytes = st.get(recoveringKey(b.patient));
  if (pendingBytes === undefined) fail(ReasonCode.NOT_FOUND);
  const pending = decodePending(pendingBytes);
  const patient = identityOfType(st, b.patient, IdentityType.PATIENT);
  if (equal(tx.signer, b.patient)) {
    if (!equal(tx.pubkey, pending.newPubkey)) fail(ReasonCode.KEY_MISMATCH);
  } else {
    actor(st, tx);
    const cfg = st.get(recoveryKey(b.patient));
    if (cfg === undefined || !isGuardian(decodeRecovery(cfg).guardians, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  }
  if (ctx.time < pending.readyAt) fail(ReasonCode.TOO_EARLY);
  requireFreshKey(st, pending.newPubkey);
  setKey(st, b.patient, patient, pending.newPubkey);
  st.delete(recoveringKey(b.patient));
  ctx.emit({ type: 'recovery.finished', attrs: { patient: b.patient, by: tx.signer } });
  return OK;
});

export const identityHandlers = [
  registerPatient,
  registerPractitioner,
  rotateKey,
  setDelegate,
  revokeDelegate,
  setRecovery,
  startRecovery,
  cancelRecovery,
  finishRecovery,
];
