/**
 * Transaction builders for every kind, signed with @noble/ed25519 (pure JS: browsers, wallets,
 * Node alike). They wrap the canonical builders of src/tx (one encoding, shared with the node) and
 * take friendly inputs: ids as 0x hex or bytes, purposes and resource types by name.
 */
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { identityId } from '../chain/genesis.js';
import type { Tx, TxFields } from '../chain/tx.js';
import type { SignedVote } from '../tx/bodies.js';
import * as b from '../tx/builders.js';
import { CREDENTIAL_TYPE_NAMES, GovAction, PURPOSE_NAMES, type ResourceType, resourceTypeCode } from '../tx/kinds.js';
import { signTx } from '../tx/sign.js';
import { hex, unhex } from './hex.js';

ed.hashes.sha512 ??= sha512;

/** Bytes as a Uint8Array or 0x hex. */
export type Bytes = Uint8Array | string;
const bytes = (v: Bytes): Uint8Array => (typeof v === 'string' ? unhex(v) : v);

/** A signing identity: its id is fixed at registration (the hash of its first key). */
export interface Account {
  /** The identity id (for a new identity: identityId(publicKey)). */
  id: Uint8Array;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** An account for a key; `id` defaults to the id a first registration with this key gets. */
export function accountFromSecret(secretKey: Bytes, id?: Bytes): Account {
  const sk = bytes(secretKey);
  const publicKey = ed.getPublicKey(sk);
  return { id: id === undefined ? identityId(publicKey) : bytes(id), publicKey, secretKey: sk };
}

export const generateAccount = (): Account => accountFromSecret(ed.utils.randomSecretKey());

export const nobleSign = (msg: Uint8Array, sk: Uint8Array): Uint8Array => ed.sign(msg, sk);
export const signerOf =
  (a: Account): b.Signer =>
  (m) =>
    ed.sign(m, a.secretKey);

/** A fresh random 32-byte record id. */
export const newRecordId = (): Uint8Array => randomBytes(32);
/** A fresh salt for a record commitment (keep it with the ciphertext's keys, off chain). */
export const newSalt = (): Uint8Array => randomBytes(32);
/**
 * The salted commitment to a record's ciphertext: sha256(salt || sha256(ciphertext)), the
 * ciphertext's hash being the vault's locator (src/client/vault/crypto.ts: commitmentOf).
 * Erasure forgets the salt.
 */
export function recordCommitment(ciphertext: Uint8Array, salt: Uint8Array): Uint8Array {
  const m = new Uint8Array(salt.length + 32);
  m.set(salt);
  m.set(sha256(ciphertext), salt.length);
  return sha256(m);
}

export type PurposeName = 'TREAT' | 'ETREAT' | 'HPAYMT' | 'HOPERAT' | 'HRESCH' | 'PUBHLTH' | 'BTG';
export type CredentialTypeName = 'license' | 'specialty' | 'emergency';
const credType = (n: CredentialTypeName): number => CREDENTIAL_TYPE_NAMES.indexOf(n);
const purpose = (n: PurposeName): number => b.purposeCode(n);

export interface TxFactoryOptions {
  chainId: string;
  account: Account;
  /** How long a built tx stays includable (ms of block time), default 5 minutes (chain max: 10). */
  lifetimeMs?: number;
  /** Clock for expiresAt (ms), default Date.now. */
  now?: () => number;
  /** Ed25519 signing function, default @noble/ed25519 (load generators pass the OpenSSL one). */
  sign?: (msg: Uint8Array, sk: Uint8Array) => Uint8Array;
}

const HOUR = 3_600_000;

/**
 * Builds and signs transactions for one account. Every method returns a signed `Tx`
 * (`tx.bytes` for tx_submit, `tx.hash` its id; a consent's id is its grant's tx hash).
 */
export class TxFactory {
  readonly chainId: string;
  readonly account: Account;
  private readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly signWith: (msg: Uint8Array, sk: Uint8Array) => Uint8Array;

  constructor(o: TxFactoryOptions) {
    this.chainId = o.chainId;
    this.account = o.account;
    this.lifetimeMs = o.lifetimeMs ?? 5 * 60_000;
    this.now = o.now ?? Date.now;
    this.signWith = o.sign ?? nobleSign;
  }

  /** The envelope every tx of this account carries (a random nonce keeps identical txs distinct). */
  envelope(): b.Envelope {
    return {
      chainId: this.chainId,
      signer: this.account.id,
      pubkey: this.account.publicKey,
      expiresAt: this.now() + this.lifetimeMs,
      nonce: randomBytes(8),
    };
  }

  /** Signs unsigned fields with this account's key. */
  sign(f: TxFields): Tx {
    return signTx(f, this.account.secretKey, this.signWith);
  }

  // ---- identities ----

  /** The patient (this account) registers, co-signed by the onboarding organization. */
  registerPatient(org: Account | { id: Bytes; sign: b.Signer }): Tx {
    const orgId = bytes(org.id);
    const orgSign = 'secretKey' in org ? signerOf(org) : org.sign;
    const { signer: _s, pubkey: _p, ...env } = this.envelope();
    return this.sign(b.registerPatient({ ...env, pubkey: this.account.publicKey, org: orgId, orgSign }));
  }

  /** This organization registers a practitioner, whose key proves possession. */
  registerPractitioner(practitioner: Account | { publicKey: Bytes; sign: b.Signer }): Tx {
    const sign = 'secretKey' in practitioner ? signerOf(practitioner) : practitioner.sign;
    return this.sign(b.registerPractitioner(this.envelope(), bytes(practitioner.publicKey), sign));
  }

  /** Rotates this account's key; the new key proves possession. Keep the id: accountFromSecret(newSk, id). */
  rotateKey(next: Account | { publicKey: Bytes; sign: b.Signer }): Tx {
    const sign = 'secretKey' in next ? signerOf(next) : next.sign;
    return this.sign(b.rotateKey(this.envelope(), bytes(next.publicKey), sign));
  }

  setDelegate(delegate: Bytes, expiresAt: number): Tx {
    return this.sign(b.setDelegate(this.envelope(), { delegate: bytes(delegate), expiresAt }));
  }

  revokeDelegate(delegate: Bytes): Tx {
    return this.sign(b.revokeDelegate(this.envelope(), { delegate: bytes(delegate) }));
  }

  setRecovery(guardians: Bytes[], threshold: number): Tx {
    return this.sign(b.setRecovery(this.envelope(), { guardians: guardians.map(bytes), threshold }));
  }

  /** A guardian (this account) starts a recovery of `patient` to a new key, with other guardians' approvals. */
  startRecovery(
    patient: Bytes,
    next: Account | { publicKey: Bytes; sign: b.Signer },
    approvals: { guardian: Bytes; sig: Bytes }[],
  ): Tx {
    const sign = 'secretKey' in next ? signerOf(next) : next.sign;
    const list = approvals.map((a) => ({ guardian: bytes(a.guardian), sig: bytes(a.sig) }));
    return this.sign(b.startRecovery(this.envelope(), bytes(patient), bytes(next.publicKey), sign, list));
  }

  /** A guardian's approval (signed on the guardian's device) for startRecovery. */
  recoveryApproval(patient: Bytes, newPublicKey: Bytes, epoch: number): { guardian: Uint8Array; sig: Uint8Array } {
    const sig = b.recoveryApproval(this.chainId, bytes(patient), bytes(newPublicKey), epoch, signerOf(this.account));
    return { guardian: this.account.id, sig };
  }

  cancelRecovery(): Tx {
    return this.sign(b.cancelRecovery(this.envelope()));
  }

  finishRecovery(patient: Bytes): Tx {
    return this.sign(b.finishRecovery(this.envelope(), bytes(patient)));
  }

  // ---- credentials ----

  issueCredential(c: {
    practitioner: Bytes;
    type: CredentialTypeName;
    qualifier?: number;
    validFrom: number;
    validUntil: number;
  }): Tx {
    return this.sign(
      b.issueCredential(this.envelope(), {
        practitioner: bytes(c.practitioner),
        credType: credType(c.type),
        qualifier: c.type === 'specialty' ? (c.qualifier ?? 0) : 0,
        validFrom: c.validFrom,
        validUntil: c.validUntil,
      }),
    );
  }

  revokeCredential(c: { practitioner: Bytes; type: CredentialTypeName; qualifier?: number }): Tx {
    return this.sign(
      b.revokeCredential(this.envelope(), {
        practitioner: bytes(c.practitioner),
        credType: credType(c.type),
        qualifier: c.type === 'specialty' ? (c.qualifier ?? 0) : 0,
      }),
    );
  }

  // ---- records ----

  /** Anchors a record pointer: the commitment and an opaque locator, never the data. */
  addRecord(r: {
    record?: Bytes;
    patient: Bytes;
    resourceType: ResourceType;
    commitment: Bytes;
    locator: Bytes;
    custodian: Bytes;
    purpose?: PurposeName;
  }): Tx {
    return this.sign(
      b.addRecord(this.envelope(), {
        record: r.record === undefined ? newRecordId() : bytes(r.record),
        patient: bytes(r.patient),
        resourceType: resourceTypeCode(r.resourceType),
        commitment: bytes(r.commitment),
        locator: bytes(r.locator),
        custodian: bytes(r.custodian),
        purpose: purpose(r.purpose ?? 'TREAT'),
      }),
    );
  }

  eraseRecord(record: Bytes): Tx {
    return this.sign(b.eraseRecord(this.envelope(), bytes(record)));
  }

  setLegalHold(record: Bytes, hold: boolean): Tx {
    return this.sign(b.setLegalHold(this.envelope(), bytes(record), hold));
  }

  /**
   * This organization, the custodian of an erased record, anchors its signed deletion receipt:
   * `receiptHash` is sha256 of the canonical receipt payload (`receiptPayload` of the vault protocol).
   */
  attestDeletion(record: Bytes, receiptHash: Bytes): Tx {
    return this.sign(b.attestDeletion(this.envelope(), { record: bytes(record), receiptHash: bytes(receiptHash) }));
  }

  // ---- consents and access ----

  /**
   * Grants a consent (this account: the patient or a live delegate). Scope: records and/or
   * resource types. Times in ms of block time; `hours` is a shortcut for expiresAt = notBefore + hours.
   */
  grantConsent(c: {
    patient?: Bytes;
    grantee: Bytes;
    records?: Bytes[];
    types?: ResourceType[];
    actions?: ('read' | 'write')[];
    purposes: PurposeName[];
    notBefore?: number;
    expiresAt?: number;
    hours?: number;
  }): Tx {
    const notBefore = c.notBefore ?? 0;
    const from = c.notBefore ?? this.now();
    const expiresAt = c.expiresAt ?? from + (c.hours ?? 24) * HOUR;
    return this.sign(
      b.grantConsent(this.envelope(), {
        patient: c.patient === undefined ? this.account.id : bytes(c.patient),
        grantee: bytes(c.grantee),
        records: (c.records ?? []).map(bytes),
        types: c.types ?? [],
        purposes: c.purposes,
        actions: c.actions ?? ['read'],
        notBefore,
        expiresAt,
      }),
    );
  }

  revokeConsent(c: { patient?: Bytes; grantee: Bytes; consent: Bytes }): Tx {
    return this.sign(
      b.revokeConsent(this.envelope(), {
        patient: c.patient === undefined ? this.account.id : bytes(c.patient),
        grantee: bytes(c.grantee),
        consent: bytes(c.consent),
      }),
    );
  }

  /** Logs an access (this account: the grantee) to records of one patient; the chain grants or denies it. */
  access(a: { patient: Bytes; records: Bytes[]; purpose: PurposeName }): Tx {
    return this.sign(
      b.access(this.envelope(), {
        patient: bytes(a.patient),
        records: a.records.map(bytes),
        purpose: purpose(a.purpose),
      }),
    );
  }

  breakGlass(patient: Bytes, reason: 'ETREAT' | 'BTG' = 'ETREAT'): Tx {
    return this.sign(b.breakGlass(this.envelope(), { patient: bytes(patient), reason: purpose(reason) }));
  }

  reviewEmergency(session: Bytes, justified: boolean): Tx {
    return this.sign(b.reviewEmergency(this.envelope(), { session: bytes(session), justified }));
  }

  reinstate(grantee: Bytes): Tx {
    return this.sign(b.reinstate(this.envelope(), bytes(grantee)));
  }

  // ---- governance ----

  /** A validator organization proposes a new organization (whose key proves possession). */
  proposeOrganization(org: Account | { publicKey: Bytes; sign: b.Signer }, name: string): Tx {
    const sign = 'secretKey' in org ? signerOf(org) : org.sign;
    return this.sign(b.proposeOrganization(this.envelope(), bytes(org.publicKey), sign, name));
  }

  /** A seat for an organization already on chain; `seat` comes from its join request (the consensus key's proof). */
  proposeAddValidator(org: Bytes, seat: Seat): Tx {
    return this.sign(
      b.proposeValidatorChange(this.envelope(), { action: GovAction.ADD_VALIDATOR, org: bytes(org), ...seatOf(seat) }),
    );
  }

  /** A new organization and its validator seat in one proposal; the proofs come from its join request. */
  proposeJoin(j: { pubkey: Bytes; proof: Bytes; name: string } & Seat): Tx {
    return this.sign(
      b.proposeJoin(this.envelope(), { pubkey: bytes(j.pubkey), proof: bytes(j.proof), name: j.name, ...seatOf(j) }),
    );
  }

  proposeRemoveValidator(org: Bytes): Tx {
    return this.sign(
      b.proposeValidatorChange(this.envelope(), { action: GovAction.REMOVE_VALIDATOR, org: bytes(org) }),
    );
  }

  voteValidatorChange(proposal: Bytes): Tx {
    return this.sign(b.voteValidatorChange(this.envelope(), bytes(proposal)));
  }

  /**
   * Equivocation evidence: two conflicting signed votes of one validator. This
   * factory's account is the reporting validator's consensus key, acting for `org`.
   */
  reportEvidence(org: Bytes, a: SignedVote, bv: SignedVote): Tx {
    return this.sign(b.reportEvidence({ ...this.envelope(), signer: bytes(org) }, { a, b: bv }));
  }
}

export { hex, PURPOSE_NAMES };

/** A validator seat as a join request gives it (`medchain validator join-request`). */
export interface Seat {
  consensusKey: Bytes;
  peerId: string;
  consensusProof: Bytes;
  power?: number;
}

const seatOf = (s: Seat) => ({
  consensusKey: bytes(s.consensusKey),
  power: s.power ?? 1,
  peerId: s.peerId,
  consensusProof: bytes(s.consensusProof),
});
