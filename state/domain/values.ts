import { encode } from '../../src/codec/cbor.js';
import { readValue as decode } from './cbor-read.js';

/**
 * State values: canonical CBOR tuples (cborg's deterministic encoding). They
 * are written only by this machine, so reads use a small trusted reader
 * (./cbor-read.ts) without the canonical re-encode that untrusted input needs. Decoded values are treated as
 * immutable: a change always writes a new tuple.
 */

const EMPTY = new Uint8Array(0);

// ---- identity: [type, pubkey, org, registeredAt, suspended, name, licenseFrom, licenseUntil] ----

export interface Identity {
  type: number;
  pubkey: Uint8Array;
  /** Onboarding organization (patient), employing organization (practitioner), empty for organizations. */
  org: Uint8Array;
  registeredAt: number;
  suspended: boolean;
  /** Public name of an organization, '' otherwise. */
  name: string;
  /**
   * A practitioner's current LICENSE validity, copied from the credential by
   * ISSUE/REVOKE_CREDENTIAL (0, 0 when none or revoked), so an access checks
   * standing with the one identity read. The credential stays the proof source.
   */
  licenseFrom: number;
  licenseUntil: number;
}

export const NO_LICENSE = { licenseFrom: 0, licenseUntil: 0 } as const;
export const licensed = (i: Identity, time: number): boolean => i.licenseFrom <= time && time < i.licenseUntil;

export const encodeIdentity = (i: Identity): Uint8Array =>
  encode([i.type, i.pubkey, i.org, i.registeredAt, i.suspended ? 1 : 0, i.name, i.licenseFrom, i.licenseUntil]);

// The store's cache returns the same array for a hot key, so a hot identity decodes once.
const identityCache = new WeakMap<Uint8Array, Identity>();

export function decodeIdentity(b: Uint8Array): Identity {
  const hit = identityCache.get(b);
  if (hit !== undefined) return hit;
  const t = decode(b) as [number, Uint8Array, Uint8Array, number, number, string, number, number];
  const i: Identity = {
    type: t[0],
    pubkey: t[1],
    org: t[2],
    registeredAt: t[3],
    suspended: t[4] === 1,
    name: t[5],
    licenseFrom: t[6],
    licenseUntil: t[7],
  };
  identityCache.set(b, i);
  return i;
}

// ---- record pointer / tombstone: [patient, type, custodian, author, createdAt, flags, commitment, locator, erasedAt, (deletionReceipt)] ----

export const RecordFlag = { ERASED: 1, LEGAL_HOLD: 2 } as const;

export interface RecordPointer {
  patient: Uint8Array;
  resourceType: number;
  custodian: Uint8Array;
  author: Uint8Array;
  createdAt: number;
  flags: number;
  /** Empty in a tombstone. */
  commitment: Uint8Array;
  /** Empty in a tombstone. */
  locator: Uint8Array;
  erasedAt: number;
  /**
   * A tombstone's attested deletion: sha256 of the custodian's signed receipt payload
   * (ATTEST_DELETION). Absent until attested; the tuple then has a 10th element, so
   * pointers without one keep their encoding.
   */
  deletionReceipt?: Uint8Array | undefined;
}

export function encodeRecord(r: RecordPointer): Uint8Array {
  const t: unknown[] = [
    r.patient,
    r.resourceType,
    r.custodian,
    r.author,
    r.createdAt,
    r.flags,
    r.commitment,
    r.locator,
    r.erasedAt,
  ];
  if (r.deletionReceipt !== undefined) t.push(r.deletionReceipt);
  return encode(t);
}

// As identities: a hot record (checked by the RPC guard, then by the rule) decodes once.
const recordCache = new WeakMap<Uint8Array, RecordPointer>();

export function decodeRecord(b: Uint8Array): RecordPointer {
  const hit = recordCache.get(b);
  if (hit !== undefined) return hit;
  const t = decode(b) as [
    Uint8Array,
    number,
    Uint8Array,
    Uint8Array,
    number,
    number,
    Uint8Array,
    Uint8Array,
    number,
    Uint8Array | undefined,
  ];
  const r: RecordPointer = {
    patient: t[0],
    resourceType: t[1],
    custodian: t[2],
    author: t[3],
    createdAt: t[4],
    flags: t[5],
    commitment: t[6],
    locator: t[7],
    erasedAt: t[8],
    deletionReceipt: t[9],
  };
  recordCache.set(b, r);
  return r;
}

export const tombstoneOf = (r: RecordPointer, time: number): RecordPointer => ({
  ...r,
  flags: (r.flags | RecordFlag.ERASED) & ~RecordFlag.LEGAL_HOLD,
  commitment: EMPTY,
  locator: EMPTY,
  erasedAt: time,
});

// ---- credential: [issuer, validFrom, validUntil, revokedAt] (key: practitioner, type, qualifier) ----

export interface Credential {
  issuer: Uint8Array;
  validFrom: number;
  validUntil: number;
  /** 0 while not revoked. */
  revokedAt: number;
}

export const encodeCredential = (c: Credential): Uint8Array =>
  encode([c.issuer, c.validFrom, c.validUntil, c.revokedAt]);

const credentialCache = new WeakMap<Uint8Array, Credential>();

export function decodeCredential(b: Uint8Array): Credential {
  const hit = credentialCache.get(b);
  if (hit !== undefined) return hit;
  const t = decode(b) as [Uint8Array, number, number, number];
  const c: Credential = { issuer: t[0], validFrom: t[1], validUntil: t[2], revokedAt: t[3] };
  credentialCache.set(b, c);
  return c;
}

export const credentialValid = (c: Credential, time: number): boolean =>
  c.revokedAt === 0 && c.validFrom <= time && time < c.validUntil;

// ---- consents of a (patient, grantee) pair: a list of entries ----

/** [id, records, typesMask, actionsMask, purposesMask, notBefore, expiresAt, revokedAt] */
export type ConsentEntry = [Uint8Array, Uint8Array[], number, number, number, number, number, number];
export const C_ID = 0;
export const C_RECORDS = 1;
export const C_TYPES = 2;
export const C_ACTIONS = 3;
export const C_PURPOSES = 4;
export const C_NOT_BEFORE = 5;
export const C_EXPIRES = 6;
export const C_REVOKED = 7;

export const encodeConsents = (list: readonly ConsentEntry[]): Uint8Array => encode(list);
export const decodeConsents = (b: Uint8Array): ConsentEntry[] => decode(b) as ConsentEntry[];

// ---- small tuples ----

export interface RecoveryConfig {
  threshold: number;
  guardians: Uint8Array[];
  /** Moves on each new guardian set and each started recovery; approvals name it. */
  epoch: number;
}
export const encodeRecovery = (r: RecoveryConfig): Uint8Array => encode([r.threshold, r.guardians, r.epoch]);
export function decodeRecovery(b: Uint8Array): RecoveryConfig {
  const t = decode(b) as [number, Uint8Array[], number];
  return { threshold: t[0], guardians: t[1], epoch: t[2] };
}

export interface PendingRecovery {
  newPubkey: Uint8Array;
  readyAt: number;
  starter: Uint8Array;
}
export const encodePending = (p: PendingRecovery): Uint8Array => encode([p.newPubkey, p.readyAt, p.starter]);
export function decodePending(b: Uint8Array): PendingRecovery {
  const t = decode(b) as [Uint8Array, number, Uint8Array];
  return { newPubkey: t[0], readyAt: t[1], starter: t[2] };
}

export const Review = { NONE: 0, JUSTIFIED: 1, UNJUSTIFIED: 2 } as const;

export interface EmergencySession {
  grantee: Uint8Array;
  patient: Uint8Array;
  org: Uint8Array;
  openedAt: number;
  until: number;
  reviewDeadline: number;
  reason: number;
  review: number;
  overdue: boolean;
}
export const encodeSession = (s: EmergencySession): Uint8Array =>
  encode([s.grantee, s.patient, s.org, s.openedAt, s.until, s.reviewDeadline, s.reason, s.review, s.overdue ? 1 : 0]);
export function decodeSession(b: Uint8Array): EmergencySession {
  const t = decode(b) as [Uint8Array, Uint8Array, Uint8Array, number, number, number, number, number, number];
  return {
    grantee: t[0],
    patient: t[1],
    org: t[2],
    openedAt: t[3],
    until: t[4],
    reviewDeadline: t[5],
    reason: t[6],
    review: t[7],
    overdue: t[8] === 1,
  };
}

export const encodeTuple = (t: unknown[]): Uint8Array => encode(t);
export const decodeTuple = (b: Uint8Array): unknown[] => decode(b) as unknown[];
export const encodeUint = (n: number): Uint8Array => encode(n);
export const decodeUint = (b: Uint8Array): number => decode(b) as number;
export const encodeBytes = (b: Uint8Array): Uint8Array => encode(b);
export const decodeBytes = (b: Uint8Array): Uint8Array => decode(b) as Uint8Array;

// ---- validator set: [[org, consensusKey, power]] sorted by org ----

export type ValidatorEntry = [Uint8Array, Uint8Array, number];
const setCache = new WeakMap<Uint8Array, ValidatorEntry[]>();
export function decodeValidatorSet(b: Uint8Array): ValidatorEntry[] {
  const hit = setCache.get(b);
  if (hit !== undefined) return hit;
  const v = decode(b) as ValidatorEntry[];
  setCache.set(b, v);
  return v;
}
export const encodeValidatorSet = (v: readonly ValidatorEntry[]): Uint8Array => encode(v);

// ---- governance proposal: [body tuple, yes voters, status, activationHeight, expiresHeight] ----

/** EXPIRED: no approval by its expiry height; kept (without body or votes) one more TTL, then deleted. */
export const ProposalStatus = { OPEN: 0, APPROVED: 1, APPLIED: 2, SKIPPED: 3, EXPIRED: 4 } as const;
export interface Proposal {
  body: unknown[];
  yes: Uint8Array[];
  status: number;
  activation: number;
  /** The last height at which a vote counts. */
  expires: number;
}
export const encodeProposal = (p: Proposal): Uint8Array => encode([p.body, p.yes, p.status, p.activation, p.expires]);
export function decodeProposal(b: Uint8Array): Proposal {
  const t = decode(b) as [unknown[], Uint8Array[], number, number, number];
  return { body: t[0], yes: t[1], status: t[2], activation: t[3], expires: t[4] };
}
