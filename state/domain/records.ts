import type { Tx } from '../../src/chain/tx.js';
import { equal } from '../../src/codec/bytes.js';
import {
  CREDENTIAL_TYPE_NAMES,
  CredentialType,
  IdentityType,
  PURPOSE_NAMES,
  RESOURCE_TYPES,
  ReasonCode,
  TxKind,
} from '../../src/tx/kinds.js';
import type { StateView } from '../exec/view.js';
import { writeCode } from './access-rule.js';
import { denied, handler, OK } from './handler.js';
import { credentialKey, identityKey, recordKey } from './keys.js';
import { actor, actorOfType, fail, identityOfType, requirePatientOrDelegate } from './rules.js';
import {
  decodeCredential,
  decodeRecord,
  encodeCredential,
  encodeIdentity,
  encodeRecord,
  type Identity,
  NO_LICENSE,
  RecordFlag,
  type RecordPointer,
  tombstoneOf,
} from './values.js';

// ---- credentials ----

/**
 * The practitioner's own organization (Identity.org, fixed at registration by
 * that organization) is the only authority over its credentials: another
 * organization can neither grant privileges to someone else's staff nor undo
 * or shorten what their organization decided.
 */
function ownPractitioner(st: StateView, tx: Tx, practitioner: Uint8Array): Identity {
  actorOfType(st, tx, IdentityType.ORGANIZATION);
  const p = identityOfType(st, practitioner, IdentityType.PRACTITIONER);
  if (!equal(p.org, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  return p;
}

export const issueCredential = handler(TxKind.ISSUE_CREDENTIAL, (ctx, tx, b) => {
  const st = ctx.state;
  const p = ownPractitioner(st, tx, b.practitioner);
  if (b.validUntil <= ctx.time) fail(ReasonCode.EXPIRED);
  const k = credentialKey(b.practitioner, b.credType, b.qualifier);
  // One credential per (practitioner, type, qualifier): a new issue replaces the issuer's own
  // one only (a credential written by another issuer before this rule stays until revoked).
  const old = st.get(k);
  if (old !== undefined && !equal(decodeCredential(old).issuer, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  if (b.credType === CredentialType.LICENSE)
    st.set(identityKey(b.practitioner), encodeIdentity({ ...p, licenseFrom: b.validFrom, licenseUntil: b.validUntil }));
  st.set(k, encodeCredential({ issuer: tx.signer, validFrom: b.validFrom, validUntil: b.validUntil, revokedAt: 0 }));
  ctx.emit({
    type: 'credential.issued',
    attrs: {
      practitioner: b.practitioner,
      issuer: tx.signer,
      credType: CREDENTIAL_TYPE_NAMES[b.credType] as string,
      qualifier: b.qualifier,
      validFrom: b.validFrom,
      validUntil: b.validUntil,
    },
  });
  return OK;
});

/** The practitioner's organization revokes any of its staff's credentials (also one another issuer wrote). */
export const revokeCredential = handler(TxKind.REVOKE_CREDENTIAL, (ctx, tx, b) => {
  const st = ctx.state;
  const p = ownPractitioner(st, tx, b.practitioner);
  const k = credentialKey(b.practitioner, b.credType, b.qualifier);
  const v = st.get(k);
  if (v === undefined) fail(ReasonCode.NOT_FOUND);
  const c = decodeCredential(v);
  if (c.revokedAt !== 0) fail(ReasonCode.REVOKED);
  st.set(k, encodeCredential({ ...c, revokedAt: Math.max(1, ctx.time) }));
  if (b.credType === CredentialType.LICENSE)
    st.set(identityKey(b.practitioner), encodeIdentity({ ...p, ...NO_LICENSE }));
  ctx.emit({
    type: 'credential.revoked',
    attrs: {
      practitioner: b.practitioner,
      issuer: tx.signer,
      credType: CREDENTIAL_TYPE_NAMES[b.credType] as string,
      qualifier: b.qualifier,
    },
  });
  return OK;
});

// ---- record pointers ----

/**
 * Written by the patient, or by a practitioner (licensed) or organization
 * holding a live write consent for the type (the one access rule's writeCode); a
 * MedicationRequest (a prescription) only by a licensed practitioner.
 */
export const addRecord = handler(TxKind.ADD_RECORD, (ctx, tx, b) => {
  const st = ctx.state;
  const me = actor(st, tx);
  const patient = identityOfType(st, b.patient, IdentityType.PATIENT);
  identityOfType(st, b.custodian, IdentityType.ORGANIZATION);
  const rk = recordKey(b.record);
  if (st.has(rk)) fail(ReasonCode.ALREADY_EXISTS);
  const code = writeCode(st, tx.signer, me, b.patient, b.record, b.resourceType, b.purpose, ctx.time);
  if (code !== '') fail(code as ReasonCode);
  // The custodian gets authority over the record (legal hold blocks erasure; it attests deletion):
  // the patient picks any; another writer only its own organization or the patient's onboarding one.
  if (!equal(tx.signer, b.patient)) {
    const own = me.type === IdentityType.ORGANIZATION ? tx.signer : me.org;
    if (!equal(b.custodian, own) && !equal(b.custodian, patient.org)) fail(ReasonCode.NOT_AUTHORIZED);
  }
  st.set(
    rk,
    encodeRecord({
      patient: b.patient,
      resourceType: b.resourceType,
      custodian: b.custodian,
      author: tx.signer,
      createdAt: ctx.time,
      flags: 0,
      commitment: b.commitment,
      locator: b.locator,
      erasedAt: 0,
    }),
  );
  ctx.emit({
    type: 'record.added',
    attrs: {
      record: b.record,
      patient: b.patient,
      resourceType: RESOURCE_TYPES[b.resourceType] as string,
      custodian: b.custodian,
      author: tx.signer,
      purpose: PURPOSE_NAMES[b.purpose] as string,
    },
  });
  return OK;
});

/**
 * GDPR Art. 17: the pointer becomes a tombstone without commitment or
 * locator; later accesses are denied ERASED; the event tells the custodian
 * to delete ciphertext and keys. A legal hold blocks it: DENIED LEGAL_HOLD with an event.
 */
export const eraseRecord = handler(TxKind.ERASE_RECORD, (ctx, tx, b) => {
  const st = ctx.state;
  actor(st, tx);
  const rk = recordKey(b.record);
  const v = st.get(rk);
  if (v === undefined) fail(ReasonCode.UNKNOWN_RECORD);
  const r = decodeRecord(v);
  requirePatientOrDelegate(st, tx, r.patient, ctx.time);
  if (r.flags & RecordFlag.ERASED) fail(ReasonCode.ERASED);
  if (r.flags & RecordFlag.LEGAL_HOLD) {
    // Included as DENIED, not FAILED, so the blocked attempt stays visible as an event.
    ctx.emit({
      type: 'record.erase_blocked',
      attrs: {
        record: b.record,
        patient: r.patient,
        custodian: r.custodian,
        by: tx.signer,
        code: ReasonCode.LEGAL_HOLD,
      },
    });
    return denied(ReasonCode.LEGAL_HOLD);
  }
  st.set(rk, encodeRecord(tombstoneOf(r, ctx.time)));
  ctx.emit({
    type: 'record.erased',
    attrs: { record: b.record, patient: r.patient, custodian: r.custodian, by: tx.signer },
  });
  return OK;
});

/** A record acted on by its custodian organization (the signer), with its state key. */
function custodiedRecord(st: StateView, tx: Tx, record: Uint8Array): { rk: Uint8Array; r: RecordPointer } {
  actorOfType(st, tx, IdentityType.ORGANIZATION);
  const rk = recordKey(record);
  const v = st.get(rk);
  if (v === undefined) fail(ReasonCode.UNKNOWN_RECORD);
  const r = decodeRecord(v);
  if (!equal(r.custodian, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  return { rk, r };
}

/**
 * The custodian's signed deletion receipt, anchored: only the record's custodian
 * organization, only on a tombstone, once per record. The tombstone keeps the
 * receipt's hash (record_get shows it with the pointer's proof), and the event
 * puts the attestation in the patient's trail.
 */
export const attestDeletion = handler(TxKind.ATTEST_DELETION, (ctx, tx, b) => {
  const st = ctx.state;
  const { rk, r } = custodiedRecord(st, tx, b.record);
  if ((r.flags & RecordFlag.ERASED) === 0) fail(ReasonCode.NOT_ERASED);
  if (r.deletionReceipt !== undefined) fail(ReasonCode.ALREADY_ATTESTED);
  st.set(rk, encodeRecord({ ...r, deletionReceipt: b.receiptHash }));
  ctx.emit({
    type: 'record.deletion_attested',
    attrs: { record: b.record, patient: r.patient, custodian: r.custodian, receiptHash: b.receiptHash },
  });
  return OK;
});

export const setLegalHold = handler(TxKind.SET_LEGAL_HOLD, (ctx, tx, b) => {
  const st = ctx.state;
  const { rk, r } = custodiedRecord(st, tx, b.record);
  if (r.flags & RecordFlag.ERASED) fail(ReasonCode.ERASED);
  const flags = b.hold ? r.flags | RecordFlag.LEGAL_HOLD : r.flags & ~RecordFlag.LEGAL_HOLD;
  st.set(rk, encodeRecord({ ...r, flags }));
  ctx.emit({
    type: 'record.hold',
    attrs: { record: b.record, patient: r.patient, custodian: r.custodian, hold: b.hold },
  });
  return OK;
});

export const recordHandlers = [issueCredential, revokeCredential, addRecord, eraseRecord, attestDeletion, setLegalHold];
