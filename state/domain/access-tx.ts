import type { EventValue } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import { equal } from '../../src/codec/bytes.js';
import { CredentialType, IdentityType, PURPOSE_NAMES, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import type { ExecContext, TxOutcome } from '../exec/machine.js';
import type { StateView } from '../exec/view.js';
import { decideRead } from './access-rule.js';
import { isValidatorOrg } from './governance.js';
import { concatIds, denied, handler, OK } from './handler.js';
import {
  denialsKey,
  emergencyDueDayKey,
  emergencyDueKey,
  emergencyKey,
  emergencyPairKey,
  identityKey,
  identityKeyRO,
} from './keys.js';
import { fail, getIdentity, hasLicense, hasValidCredential, identityOfType } from './rules.js';
import {
  decodeBytes,
  decodeIdentity,
  decodeSession,
  decodeTuple,
  decodeUint,
  encodeBytes,
  encodeIdentity,
  encodeSession,
  encodeTuple,
  encodeUint,
  type Identity,
  Review,
} from './values.js';

/** Overdue reviews are found by minute buckets of their deadline. */
export const DUE_BUCKET_MS = 60_000;

/**
 * Counts a denial against the grantee: the last `denialThreshold` denial
 * times within `denialWindowMs` are kept; reaching the threshold suspends.
 */
function countDenial(ctx: ExecContext, grantee: Uint8Array, me: Identity): void {
  const { denialThreshold, denialWindowMs } = ctx.params.policy;
  if (denialThreshold === 0) return;
  const st = ctx.state;
  const k = denialsKey(grantee);
  const v = st.get(k);
  const old = v === undefined ? [] : (decodeTuple(v) as number[]);
  const times = old.filter((t) => ctx.time - t < denialWindowMs);
  times.push(ctx.time);
  while (times.length > denialThreshold) times.shift();
  if (times.length >= denialThreshold) {
    st.delete(k);
    st.set(identityKey(grantee), encodeIdentity({ ...me, suspended: true }));
    ctx.emit({ type: 'grantee.suspended', attrs: { grantee, denials: times.length, windowMs: denialWindowMs } });
  } else st.set(k, encodeTuple(times));
}

/**
 * The hot path: the one access rule (./access-rule.ts) decides; this records it. Reads: the
 * grantee's identity and license (hot, cached), the pair's consents (one key), each record; the
 * emergency session only when consent fails under an emergency purpose. A granted access writes
 * nothing to state: the audit trail is its event. A denial counts against the grantee.
 */
export const access = handler(TxKind.ACCESS, (ctx, tx, b): TxOutcome => {
  const st = ctx.state;
  const v = st.get(identityKeyRO(tx.signer));
  if (v === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  const me = decodeIdentity(v);
  if (!equal(me.pubkey, tx.pubkey)) fail(ReasonCode.KEY_MISMATCH);
  const d = decideRead(st, me, {
    grantee: tx.signer,
    patient: b.patient,
    records: b.records,
    purpose: b.purpose,
    time: ctx.time,
  });
  // Flat, PHI-free; `code` only on a denial and `session` only under an emergency, to keep receipts small.
  const attrs: Record<string, EventValue> = {
    patient: b.patient,
    grantee: tx.signer,
    records: concatIds(b.records),
    purpose: PURPOSE_NAMES[b.purpose] as string,
    granted: d.granted,
    emergency: d.emergency,
  };
  if (d.code !== null) attrs.code = d.code;
  else if (d.emergency) attrs.session = d.session;
  ctx.emit({ type: 'access', attrs });
  if (d.granted) return OK;
  if (d.code !== ReasonCode.SUSPENDED) countDenial(ctx, tx.signer, me);
  return denied(d.code as string);
});

/**
 * A practitioner with license and emergency credential opens a time-boxed
 * emergency access to a patient. The session is flagged, shown to the
 * patient, and due for review by the practitioner's organization.
 */
export const breakGlass = handler(TxKind.BREAK_GLASS, (ctx, tx, b): TxOutcome => {
  const st = ctx.state;
  const v = st.get(identityKeyRO(tx.signer));
  if (v === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  const me = decodeIdentity(v);
  if (!equal(me.pubkey, tx.pubkey)) fail(ReasonCode.KEY_MISMATCH);
  if (me.type !== IdentityType.PRACTITIONER) fail(ReasonCode.WRONG_IDENTITY_TYPE);
  identityOfType(st, b.patient, IdentityType.PATIENT);
  let code = '';
  if (me.suspended) code = ReasonCode.SUSPENDED;
  else if (!hasLicense(me, ctx.time) || !hasValidCredential(st, tx.signer, CredentialType.EMERGENCY, ctx.time))
    code = ReasonCode.NOT_CREDENTIALED;
  if (code !== '') {
    ctx.emit({
      type: 'emergency.denied',
      attrs: { patient: b.patient, grantee: tx.signer, org: me.org, reason: PURPOSE_NAMES[b.reason] as string, code },
    });
    if (code !== ReasonCode.SUSPENDED) countDenial(ctx, tx.signer, me);
    return denied(code);
  }
  const { breakGlassMs, reviewDeadlineMs } = ctx.params.policy;
  const sid = tx.hash;
  const until = ctx.time + breakGlassMs;
  const reviewDeadline = ctx.time + reviewDeadlineMs;
  st.set(
    emergencyKey(sid),
    encodeSession({
      grantee: tx.signer,
      patient: b.patient,
      org: me.org,
      openedAt: ctx.time,
      until,
      reviewDeadline,
      reason: b.reason,
      review: Review.NONE,
      overdue: false,
    }),
  );
  st.set(emergencyPairKey(tx.signer, b.patient), encodeTuple([sid, until]));
  addDue(st, Math.floor(reviewDeadline / DUE_BUCKET_MS), sid);
  ctx.emit({
    type: 'emergency.opened',
    attrs: {
      session: sid,
      patient: b.patient,
      grantee: tx.signer,
      org: me.org,
      reason: PURPOSE_NAMES[b.reason] as string,
      until,
      reviewDeadline,
    },
  });
  return OK;
});

/** Ids per chunk of a minute's due list: appending stays O(1) however many emergencies share a minute. */
export const DUE_CHUNK_IDS = 64;

function addDue(st: StateView, minute: number, sid: Uint8Array): void {
  const mk = emergencyDueKey(minute);
  const mv = st.get(mk);
  let chunks = mv === undefined ? 0 : decodeUint(mv);
  let old: Uint8Array = new Uint8Array(0);
  if (chunks > 0) {
    const last = st.get(emergencyDueKey(minute, chunks - 1));
    if (last !== undefined) old = decodeBytes(last);
  }
  if (chunks === 0) addDueMinute(st, minute);
  if (chunks === 0 || old.length >= DUE_CHUNK_IDS * 32) {
    old = new Uint8Array(0);
    chunks++;
    st.set(mk, encodeUint(chunks));
  }
  const ids = new Uint8Array(old.length + 32);
  ids.set(old);
  ids.set(sid, old.length);
  st.set(emergencyDueKey(minute, chunks - 1), encodeBytes(ids));
}

const MINUTES_PER_DAY = 1440;

/** Each day lists its minutes that have due reviews, so endBlock skips empty time in day steps. */
function addDueMinute(st: StateView, minute: number): void {
  const k = emergencyDueDayKey(Math.floor(minute / MINUTES_PER_DAY));
  const v = st.get(k);
  const minutes = v === undefined ? [] : (decodeTuple(v) as number[]);
  minutes.push(minute);
  minutes.sort((a, b) => a - b);
  st.set(k, encodeTuple(minutes));
}

export const reviewEmergency = handler(TxKind.REVIEW_EMERGENCY, (ctx, tx, b) => {
  const st = ctx.state;
  actorOrg(st, tx);
  const k = emergencyKey(b.session);
  const v = st.get(k);
  if (v === undefined) fail(ReasonCode.NOT_FOUND);
  const s = decodeSession(v);
  if (!equal(s.org, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  if (s.review !== Review.NONE) fail(ReasonCode.ALREADY_REVIEWED);
  st.set(k, encodeSession({ ...s, review: b.justified ? Review.JUSTIFIED : Review.UNJUSTIFIED }));
  ctx.emit({
    type: 'emergency.reviewed',
    attrs: {
      session: b.session,
      patient: s.patient,
      grantee: s.grantee,
      org: s.org,
      justified: b.justified,
      late: s.overdue || ctx.time > s.reviewDeadline,
    },
  });
  return OK;
});

function actorOrg(st: StateView, tx: Tx): Identity {
  const me = getIdentity(st, tx.signer);
  if (me === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  if (!equal(me.pubkey, tx.pubkey)) fail(ReasonCode.KEY_MISMATCH);
  if (me.type !== IdentityType.ORGANIZATION) fail(ReasonCode.WRONG_IDENTITY_TYPE);
  return me;
}

/**
 * Lifts a suspension: the grantee's own organization (practitioners,
 * patients), or another validator organization (for a suspended organization).
 */
export const reinstate = handler(TxKind.REINSTATE, (ctx, tx, b) => {
  const st = ctx.state;
  actorOrg(st, tx);
  const g = getIdentity(st, b.grantee);
  if (g === undefined) fail(ReasonCode.UNKNOWN_IDENTITY);
  if (g.type === IdentityType.ORGANIZATION) {
    if (equal(b.grantee, tx.signer) || !isValidatorOrg(st, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  } else if (!equal(g.org, tx.signer)) fail(ReasonCode.NOT_AUTHORIZED);
  if (!g.suspended) fail(ReasonCode.NOT_SUSPENDED);
  st.set(identityKey(b.grantee), encodeIdentity({ ...g, suspended: false }));
  st.delete(denialsKey(b.grantee));
  ctx.emit({ type: 'grantee.reinstated', attrs: { grantee: b.grantee, by: tx.signer } });
  return OK;
});

/**
 * Flags emergencies whose review deadline passed unreviewed. A minute is
 * processed once it is complete (its end <= block time); the cursor moves a
 * day at a time over days without due reviews, at most `maxDays` per block.
 */
export function flagOverdueReviews(ctx: ExecContext, cursorKey: Uint8Array, maxDays = 4096): void {
  const st = ctx.state;
  const cv = st.get(cursorKey);
  const end = Math.floor(ctx.time / DUE_BUCKET_MS);
  let m = cv === undefined ? end : (decodeTuple(cv)[0] as number);
  const start = m;
  for (let n = 0; n < maxDays && m < end; n++) {
    const day = Math.floor(m / MINUTES_PER_DAY);
    const dayEnd = (day + 1) * MINUTES_PER_DAY;
    const upto = Math.min(end, dayEnd);
    const dk = emergencyDueDayKey(day);
    const dv = st.get(dk);
    if (dv !== undefined) {
      for (const x of decodeTuple(dv) as number[]) if (x >= m && x < upto) flagMinute(ctx, x);
      if (upto === dayEnd) st.delete(dk);
    }
    m = upto;
  }
  if (cv === undefined || m !== start) st.set(cursorKey, encodeTuple([m]));
}

function flagMinute(ctx: ExecContext, minute: number): void {
  const st = ctx.state;
  const mk = emergencyDueKey(minute);
  const mv = st.get(mk);
  if (mv === undefined) return;
  const chunks = decodeUint(mv);
  for (let c = 0; c < chunks; c++) {
    const ck = emergencyDueKey(minute, c);
    const chunk = st.get(ck);
    if (chunk === undefined) continue;
    flagChunk(ctx, decodeBytes(chunk));
    st.delete(ck);
  }
  st.delete(mk);
}

function flagChunk(ctx: ExecContext, ids: Uint8Array): void {
  const st = ctx.state;
  for (let o = 0; o + 32 <= ids.length; o += 32) {
    const sid = ids.slice(o, o + 32);
    const sk = emergencyKey(sid);
    const sv = st.get(sk);
    if (sv === undefined) continue;
    const s = decodeSession(sv);
    if (s.review !== Review.NONE || s.overdue) continue;
    st.set(sk, encodeSession({ ...s, overdue: true }));
    ctx.emit({
      type: 'emergency.overdue',
      attrs: { session: sid, patient: s.patient, grantee: s.grantee, org: s.org, reviewDeadline: s.reviewDeadline },
    });
  }
}

export const accessHandlers = [access, breakGlass, reviewEmergency, reinstate];
