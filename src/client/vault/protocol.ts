/**
 * The vault's wire protocol, shared by the client and the custodian service.
 *
 * Every request carries `x-medchain-request: 0x<CBOR [payload, signature]>`, where payload is the
 * canonical CBOR tuple
 *   [1, op, vault, identity, pubkey, record, patient, purpose, time, nonce, digest]
 * signed with the requester's identity key under the VAULT_REQUEST domain of the chain:
 *   op       'put' | 'keys' | 'open' | 'refusals'
 *   vault    the custodian organization's id (a request for one vault is void at another)
 *   patient  the record's patient (put/keys), or the patient named by the access tx (open)
 *   purpose  HL7 purpose of use (open), '' otherwise
 *   time     ms since the epoch; the vault refuses it outside ±maxSkew, or if it predates the
 *            vault's start (nonces are kept in memory only), with STALE_REQUEST
 *   nonce    16 random bytes; a (identity, nonce) pair is served once (REPLAYED)
 *   digest   sha256(body) for put/keys; for open, the hash of the requester's ACCESS tx (the body)
 * The vault checks the header (signature, freshness, nonce, the identity's current key on chain)
 * before it reads a body, and reads at most the body's declared content-length, bounded per op.
 * Errors are JSON `{ error: { code, reason?, message } }` with an HTTP status.
 */
import { encode } from 'cborg';
import { decodeCanonical } from '../../codec/cbor.js';
import { MedchainError } from '../../errors.js';

export const VaultErrorCode = {
  BAD_REQUEST: 'VAULT_BAD_REQUEST',
  BAD_SIGNATURE: 'VAULT_BAD_SIGNATURE',
  KEY_MISMATCH: 'VAULT_KEY_MISMATCH',
  STALE_REQUEST: 'VAULT_STALE_REQUEST',
  REPLAYED: 'VAULT_REPLAYED',
  TOO_LARGE: 'VAULT_TOO_LARGE',
  LOCATOR_MISMATCH: 'VAULT_LOCATOR_MISMATCH',
  NOT_AUTHORIZED: 'VAULT_NOT_AUTHORIZED',
  NOT_FOUND: 'VAULT_NOT_FOUND',
  NO_KEY: 'VAULT_NO_KEY',
  /** The chain's rule denies the access; `reason` is its code (NO_CONSENT, EXPIRED, ERASED, ...). */
  DENIED: 'VAULT_DENIED',
  /** The access could not be recorded on chain, so nothing is served. */
  AUDIT_FAILED: 'VAULT_AUDIT_FAILED',
  /** The requester's ACCESS tx is not in a final block in time (or expired before inclusion): no data. */
  NOT_FINAL: 'VAULT_NOT_FINAL',
  /** The chain is stalled or the node lags: the including block (or the head) is too old against the vault's clock. */
  CHAIN_STALE: 'VAULT_CHAIN_STALE',
  /** Too many requests (per address or per identity), or too many connections. */
  RATE_LIMITED: 'VAULT_RATE_LIMITED',
  /** The identity's storage quota would be exceeded. */
  QUOTA_EXCEEDED: 'VAULT_QUOTA_EXCEEDED',
  UNAVAILABLE: 'VAULT_UNAVAILABLE',
} as const;
export type VaultErrorCode = (typeof VaultErrorCode)[keyof typeof VaultErrorCode];

export class VaultError extends MedchainError<VaultErrorCode> {}

export const HTTP_STATUS: Record<VaultErrorCode, number> = {
  VAULT_BAD_REQUEST: 400,
  VAULT_BAD_SIGNATURE: 401,
  VAULT_KEY_MISMATCH: 401,
  VAULT_STALE_REQUEST: 401,
  VAULT_REPLAYED: 409,
  VAULT_TOO_LARGE: 413,
  VAULT_LOCATOR_MISMATCH: 400,
  VAULT_NOT_AUTHORIZED: 403,
  VAULT_NOT_FOUND: 404,
  VAULT_NO_KEY: 404,
  VAULT_DENIED: 403,
  VAULT_AUDIT_FAILED: 503,
  VAULT_NOT_FINAL: 503,
  VAULT_CHAIN_STALE: 503,
  VAULT_RATE_LIMITED: 429,
  VAULT_QUOTA_EXCEEDED: 413,
  VAULT_UNAVAILABLE: 503,
};

export const REQUEST_HEADER = 'x-medchain-request';
/** `refusals`: the custodian organization reads the refusal log (record and digest zero). */
export type VaultOp = 'put' | 'keys' | 'open' | 'refusals';
const OPS: ReadonlySet<string> = new Set(['put', 'keys', 'open', 'refusals']);
export const REQUEST_NONCE_BYTES = 16;
/** Bound on the header before it is decoded. */
export const MAX_REQUEST_HEADER = 1024;

export interface VaultRequest {
  op: VaultOp;
  vault: Uint8Array;
  identity: Uint8Array;
  pubkey: Uint8Array;
  record: Uint8Array;
  patient: Uint8Array;
  purpose: string;
  time: number;
  nonce: Uint8Array;
  digest: Uint8Array;
}

export function encodeRequestPayload(r: VaultRequest): Uint8Array {
  return encode([1, r.op, r.vault, r.identity, r.pubkey, r.record, r.patient, r.purpose, r.time, r.nonce, r.digest]);
}

const isId = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32;

/** Decodes `[payload, sig]` (bounded, strict: a header or payload that does not re-encode to itself is refused). */
export function decodeRequest(bytes: Uint8Array): { req: VaultRequest; payload: Uint8Array; sig: Uint8Array } {
  const bad = (what: string): never => {
    throw new VaultError(VaultErrorCode.BAD_REQUEST, { what });
  };
  if (bytes.length > MAX_REQUEST_HEADER) bad('header size');
  let outer: unknown;
  try {
    // Canonical only: one header encoding per request, so a (identity, nonce) pair names one request.
    outer = decodeCanonical(bytes, MAX_REQUEST_HEADER);
  } catch {
    return bad('header encoding');
  }
  if (!Array.isArray(outer) || outer.length !== 2) return bad('header shape');
  const [payload, sig] = outer as [unknown, unknown];
  if (!(payload instanceof Uint8Array) || !(sig instanceof Uint8Array) || sig.length !== 64) return bad('header shape');
  let t: unknown;
  try {
    t = decodeCanonical(payload, MAX_REQUEST_HEADER);
  } catch {
    return bad('payload encoding');
  }
  if (!Array.isArray(t) || t.length !== 11 || t[0] !== 1) return bad('payload shape');
  const [, op, vault, identity, pubkey, record, patient, purpose, time, nonce, digest] = t as unknown[];
  if (typeof op !== 'string' || !OPS.has(op)) return bad('op');
  if (!isId(vault) || !isId(identity) || !isId(pubkey) || !isId(record) || !isId(patient)) return bad('ids');
  if (typeof purpose !== 'string' || purpose.length > 16) return bad('purpose');
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return bad('time');
  if (!(nonce instanceof Uint8Array) || nonce.length !== REQUEST_NONCE_BYTES) return bad('nonce');
  if (!isId(digest)) return bad('digest');
  const req: VaultRequest = {
    op: op as VaultOp,
    vault,
    identity,
    pubkey,
    record,
    patient,
    purpose,
    time,
    nonce,
    digest,
  };
  const again = encodeRequestPayload(req);
  if (again.length !== payload.length || !again.every((b, i) => b === payload[i])) return bad('non-canonical payload');
  return { req, payload, sig };
}

export const encodeRequestHeader = (payload: Uint8Array, sig: Uint8Array): Uint8Array => encode([payload, sig]);

/** A signed deletion receipt: the custodian's statement that a record's ciphertext and keys are gone. */
export interface DeletionReceipt {
  record: string;
  custodian: string;
  /** sha256(blob) of what was deleted (the locator). */
  locator: string;
  /** The finalized ERASE_RECORD tx and its block that triggered the deletion. */
  eraseTx: string;
  height: number;
  /** How many wrapped keys were destroyed. */
  keys: number;
  deletedAt: number;
  /** Ed25519 signature of the custodian org key over the DELETION_RECEIPT domain and receiptPayload(). */
  signature: string;
  /**
   * The custodian's ATTEST_DELETION tx anchoring sha256(receiptPayload()) on chain (record_get
   * `deletionReceipt`); absent if it could not be submitted. Not covered by the signature.
   */
  attestTx?: string;
}

export const receiptPayload = (r: Omit<DeletionReceipt, 'signature'>): Uint8Array =>
  encode([1, r.record, r.custodian, r.locator, r.eraseTx, r.height, r.keys, r.deletedAt]);
