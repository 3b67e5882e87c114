import { equal } from '../../src/codec/bytes.js';
import { IdentityType, MAX_CONSENTS_PER_PAIR, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import { concatIds, handler, OK } from './handler.js';
import { consentKey, recordKey } from './keys.js';
import {
  actor,
  consentDead,
  fail,
  getIdentity,
  identityOfType,
  isGranteeType,
  requirePatientOrDelegate,
} from './rules.js';
import {
  C_ID,
  C_REVOKED,
  type ConsentEntry,
  decodeConsents,
  decodeRecord,
  encodeConsents,
  RecordFlag,
} from './values.js';

const EMPTY = new Uint8Array(0);

/**
 * The consents between one patient and one grantee live under one key, so an
 * access finds its covering consent with one read. The consent id is the
 * granting tx's hash. A pair holds at most MAX_CONSENTS_PER_PAIR entries;
 * revoked and expired ones are dropped when room is needed.
 */
export const grantConsent = handler(TxKind.GRANT_CONSENT, (ctx, tx, b) => {
  const st = ctx.state;
  actor(st, tx);
  identityOfType(st, b.patient, IdentityType.PATIENT);
  requirePatientOrDelegate(st, tx, b.patient, ctx.time);
  const grantee = getIdentity(st, b.grantee);
  if (grantee === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  if (!isGranteeType(grantee.type)) fail(ReasonCode.WRONG_IDENTITY_TYPE);
  if (b.expiresAt <= ctx.time) fail(ReasonCode.EXPIRED);
  // A consent naming a record must protect something: the patient's own, live record (a typo or
  // another patient's id would otherwise be granted as "active" and cover nothing).
  for (const rid of b.records) {
    const rv = st.get(recordKey(rid));
    const r = rv === undefined ? undefined : decodeRecord(rv);
    if (r === undefined || !equal(r.patient, b.patient)) fail(ReasonCode.UNKNOWN_RECORD);
    if (r.flags & RecordFlag.ERASED) fail(ReasonCode.ERASED);
  }
  const k = consentKey(b.patient, b.grantee);
  const v = st.get(k);
  let list: ConsentEntry[] = v === undefined ? [] : decodeConsents(v);
  if (list.length >= MAX_CONSENTS_PER_PAIR) list = list.filter((c) => !consentDead(c, ctx.time));
  if (list.length >= MAX_CONSENTS_PER_PAIR) fail(ReasonCode.LIMIT_EXCEEDED);
  list.push([tx.hash, b.records, b.types, b.actions, b.purposes, b.notBefore, b.expiresAt, 0]);
  st.set(k, encodeConsents(list));
  ctx.emit({
    type: 'consent.granted',
    attrs: {
      consent: tx.hash,
      patient: b.patient,
      grantee: b.grantee,
      by: tx.signer,
      records: b.records.length === 0 ? EMPTY : concatIds(b.records),
      types: b.types,
      actions: b.actions,
      purposes: b.purposes,
      notBefore: b.notBefore,
      expiresAt: b.expiresAt,
    },
  });
  return OK;
});

export const revokeConsent = handler(TxKind.REVOKE_CONSENT, (ctx, tx, b) => {
  const st = ctx.state;
  actor(st, tx);
  requirePatientOrDelegate(st, tx, b.patient, ctx.time);
  const k = consentKey(b.patient, b.grantee);
  const v = st.get(k);
  const list = v === undefined ? [] : decodeConsents(v);
  const i = list.findIndex((c) => equal(c[C_ID], b.consent));
  if (i < 0) fail(ReasonCode.NOT_FOUND);
  const c = list[i] as ConsentEntry;
  if (c[C_REVOKED] !== 0) fail(ReasonCode.REVOKED);
  const revoked = c.slice() as ConsentEntry;
  revoked[C_REVOKED] = Math.max(1, ctx.time);
  list[i] = revoked;
  st.set(k, encodeConsents(list));
  ctx.emit({
    type: 'consent.revoked',
    attrs: { consent: b.consent, patient: b.patient, grantee: b.grantee, by: tx.signer },
  });
  return OK;
});

export const consentHandlers = [grantConsent, revokeConsent];
