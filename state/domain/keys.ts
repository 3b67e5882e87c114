import { utf8 } from '../../src/codec/bytes.js';

/**
 * State keys of the medical domain: an ASCII namespace followed by raw
 * fixed-width ids. Within a namespace every key shape has its own length, so
 * no two shapes can collide.
 */
export const NS = {
  IDENTITY: utf8('identity/'), // + id(32) -> identity
  IDENTITY_KEY: utf8('identity/key/'), // + pubkey(32) -> id: every key ever held (keys never move)
  DELEGATE: utf8('identity/delegate/'), // + patient + delegate -> [expiresAt]
  RECOVERY: utf8('identity/recovery/'), // + patient -> [threshold, guardians, epoch]
  RECOVERING: utf8('identity/recovering/'), // + patient -> [newPubkey, readyAt, starter]
  CREDENTIAL: utf8('credential/'), // + practitioner + type(u8) + qualifier(u32be) -> credential
  RECORD: utf8('record/'), // + record id -> pointer or tombstone
  CONSENT: utf8('consent/'), // + patient + grantee -> consents of the pair
  EMERGENCY: utf8('emergency/'), // + session id -> session
  EMERGENCY_PAIR: utf8('emergency/pair/'), // + grantee + patient -> [session, until]
  EMERGENCY_DUE: utf8('emergency/due/'), // + minute(u64be) -> chunk count; + minute + chunk(u32be) -> ≤ 64 session ids
  EMERGENCY_DUE_DAY: utf8('emergency/due-day/'), // + day(u32be) -> minutes of that day with due reviews
  EMERGENCY_CURSOR: utf8('emergency/cursor'), // -> next minute to check for overdue reviews
  DENIALS: utf8('policy/denials/'), // + grantee -> recent denial times
  VALIDATOR_SET: utf8('validator/set'), // -> [[org, consensusKey, power]] sorted by org
  PROPOSAL: utf8('validator/proposal/'), // + proposal id -> proposal
  GOV_PENDING: utf8('validator/pending'), // -> [[activationHeight, proposal id]]
  VALIDATOR_PEER: utf8('validator/peer/'), // + org -> utf8 libp2p peer id of its validator node
  GOV_DUE: utf8('validator/due'), // -> [[dueHeight, proposal id, proposer]]: open or expired proposals to expire or delete
} as const;

function key1(ns: Uint8Array, a: Uint8Array): Uint8Array {
  const k = new Uint8Array(ns.length + a.length);
  k.set(ns);
  k.set(a, ns.length);
  return k;
}

function key2(ns: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  const k = new Uint8Array(ns.length + a.length + b.length);
  k.set(ns);
  k.set(a, ns.length);
  k.set(b, ns.length + a.length);
  return k;
}

export const identityKey = (id: Uint8Array): Uint8Array => key1(NS.IDENTITY, id);
export const identityPubkeyKey = (pubkey: Uint8Array): Uint8Array => key1(NS.IDENTITY_KEY, pubkey);
export const delegateKey = (patient: Uint8Array, delegate: Uint8Array): Uint8Array =>
  key2(NS.DELEGATE, patient, delegate);
export const recoveryKey = (patient: Uint8Array): Uint8Array => key1(NS.RECOVERY, patient);
export const recoveringKey = (patient: Uint8Array): Uint8Array => key1(NS.RECOVERING, patient);
export const recordKey = (record: Uint8Array): Uint8Array => key1(NS.RECORD, record);
export const consentKey = (patient: Uint8Array, grantee: Uint8Array): Uint8Array => key2(NS.CONSENT, patient, grantee);
export const emergencyKey = (session: Uint8Array): Uint8Array => key1(NS.EMERGENCY, session);
export const emergencyPairKey = (grantee: Uint8Array, patient: Uint8Array): Uint8Array =>
  key2(NS.EMERGENCY_PAIR, grantee, patient);
export const denialsKey = (grantee: Uint8Array): Uint8Array => key1(NS.DENIALS, grantee);
export const validatorPeerKey = (org: Uint8Array): Uint8Array => key1(NS.VALIDATOR_PEER, org);
export const proposalKey = (proposal: Uint8Array): Uint8Array => key1(NS.PROPOSAL, proposal);

function writeCredentialKey(k: Uint8Array, practitioner: Uint8Array, credType: number, qualifier: number): Uint8Array {
  const o = NS.CREDENTIAL.length + 32;
  k.set(practitioner, NS.CREDENTIAL.length);
  k[o] = credType;
  k[o + 1] = qualifier >>> 24;
  k[o + 2] = qualifier >>> 16;
  k[o + 3] = qualifier >>> 8;
  k[o + 4] = qualifier;
  return k;
}

export function credentialKey(practitioner: Uint8Array, credType: number, qualifier: number): Uint8Array {
  const k = new Uint8Array(NS.CREDENTIAL.length + 32 + 5);
  k.set(NS.CREDENTIAL);
  return writeCredentialKey(k, practitioner, credType, qualifier);
}

/** The chunk count of a minute's due list (chunk === undefined), or one chunk of it. */
export function emergencyDueKey(minute: number, chunk?: number): Uint8Array {
  const ns = NS.EMERGENCY_DUE;
  const k = new Uint8Array(ns.length + 8 + (chunk === undefined ? 0 : 4));
  k.set(ns);
  const dv = new DataView(k.buffer);
  dv.setBigUint64(ns.length, BigInt(minute));
  if (chunk !== undefined) dv.setUint32(ns.length + 8, chunk);
  return k;
}

export function emergencyDueDayKey(day: number): Uint8Array {
  const ns = NS.EMERGENCY_DUE_DAY;
  const k = new Uint8Array(ns.length + 4);
  k.set(ns);
  new DataView(k.buffer).setUint32(ns.length, day);
  return k;
}

// ---- read-only keys for the hot path ----
// StateView.get and StateStore.get copy what they need from a key and never
// keep it, so a read may pass a reused buffer. Never pass these to set/delete.

function scratch(ns: Uint8Array, rest: number): Uint8Array {
  const k = new Uint8Array(ns.length + rest);
  k.set(ns);
  return k;
}
const sIdentity = scratch(NS.IDENTITY, 32);
const sRecord = scratch(NS.RECORD, 32);
const sConsent = scratch(NS.CONSENT, 64);
const sCredential = scratch(NS.CREDENTIAL, 37);

export function identityKeyRO(id: Uint8Array): Uint8Array {
  sIdentity.set(id, NS.IDENTITY.length);
  return sIdentity;
}
export function recordKeyRO(record: Uint8Array): Uint8Array {
  sRecord.set(record, NS.RECORD.length);
  return sRecord;
}
export function consentKeyRO(patient: Uint8Array, grantee: Uint8Array): Uint8Array {
  sConsent.set(patient, NS.CONSENT.length);
  sConsent.set(grantee, NS.CONSENT.length + 32);
  return sConsent;
}
export const credentialKeyRO = (practitioner: Uint8Array, credType: number, qualifier: number): Uint8Array =>
  writeCredentialKey(sCredential, practitioner, credType, qualifier);
