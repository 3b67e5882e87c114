import type { TxFields } from '../chain/tx.js';
import { TxError, TxErrorCode } from '../chain/tx.js';
import { type VoteContent, VoteType } from '../chain/vote.js';
import { equal } from '../codec/bytes.js';
import { asArray, asBool, asBytes, asString, asTuple, asUint, CodecError, encode, shapeError } from '../codec/cbor.js';
import {
  ACTION_MASK,
  ALL_TYPES_MASK,
  CredentialType,
  GovAction,
  ID_BYTES,
  isEmergencyPurpose,
  LOCATOR_MAX_BYTES,
  MAX_ACCESS_RECORDS,
  MAX_GUARDIANS,
  MAX_PURPOSE,
  MAX_SCOPE_RECORDS,
  MAX_VALIDATOR_POWER,
  ORG_NAME_MAX,
  PEER_ID_MAX,
  RESOURCE_TYPES,
  TxKind,
} from './kinds.js';

/**
 * Canonical bodies: every body is a fixed-position CBOR tuple of ids (32
 * bytes), small integers, booleans, masks and bounded lists. Nothing is free
 * text except an organization's public name (printable ASCII, bounded), so no
 * field can carry PHI. `decode` runs on the raw value of an already canonical
 * payload and checks every bound; it throws TxError(BAD_BODY).
 */

type Id = Uint8Array;

export interface RegisterPatientBody {
  /** The onboarding organization (identity proofing). */
  org: Id;
  /** The organization's co-signature over `registerPatientCosignPayload`. */
  orgSig: Uint8Array;
}
export interface RegisterPractitionerBody {
  pubkey: Uint8Array;
  /** The practitioner key's possession proof (`keyProofPayload`). */
  proof: Uint8Array;
}
export interface RotateKeyBody {
  newPubkey: Uint8Array;
  proof: Uint8Array;
}
export interface SetDelegateBody {
  delegate: Id;
  /** Block time (ms) at which the delegation ends. */
  expiresAt: number;
}
export interface RevokeDelegateBody {
  delegate: Id;
}
export interface SetRecoveryBody {
  guardians: Id[];
  threshold: number;
}
export interface RecoveryApproval {
  guardian: Id;
  /** Co-signature over `recoveryCosignPayload`. */
  sig: Uint8Array;
}
export interface StartRecoveryBody {
  patient: Id;
  newPubkey: Uint8Array;
  proof: Uint8Array;
  /** Approvals of guardians other than the signer (the signer, a guardian, approves by signing). */
  approvals: RecoveryApproval[];
}
export type CancelRecoveryBody = Record<string, never>;
export interface FinishRecoveryBody {
  patient: Id;
}
export interface IssueCredentialBody {
  practitioner: Id;
  credType: number;
  /** Specialty code for SPECIALTY, 0 otherwise. */
  qualifier: number;
  validFrom: number;
  validUntil: number;
}
export interface RevokeCredentialBody {
  practitioner: Id;
  credType: number;
  qualifier: number;
}
/** A consensus vote as signed (see src/chain/vote.ts), with its signature. */
export interface SignedVote extends VoteContent {
  signature: Uint8Array;
}
export interface EvidenceBody {
  a: SignedVote;
  b: SignedVote;
}
export interface AddRecordBody {
  record: Id;
  patient: Id;
  /** Index into RESOURCE_TYPES. */
  resourceType: number;
  /** Salted hash of the ciphertext. */
  commitment: Uint8Array;
  /** Opaque bytes, at most LOCATOR_MAX_BYTES. */
  locator: Uint8Array;
  custodian: Id;
  /** Purpose of use under which a non-patient writes. */
  purpose: number;
}
export interface EraseRecordBody {
  record: Id;
}
/**
 * The custodian's on-chain anchor of its deletion receipt: fixed-size fields
 * only (the record id and a hash), so nothing about the record's content can enter.
 */
export interface AttestDeletionBody {
  record: Id;
  /** sha256 of the canonical receipt payload (src/client/vault/protocol.ts `receiptPayload`). */
  receiptHash: Uint8Array;
}
export interface SetLegalHoldBody {
  record: Id;
  hold: boolean;
}
export interface GrantConsentBody {
  patient: Id;
  grantee: Id;
  records: Id[];
  /** Bit mask over RESOURCE_TYPES codes. */
  types: number;
  /** Bit mask of Action. */
  actions: number;
  /** Bit mask over Purpose codes (bit = code). */
  purposes: number;
  notBefore: number;
  expiresAt: number;
}
export interface RevokeConsentBody {
  patient: Id;
  grantee: Id;
  consent: Id;
}
export interface AccessBody {
  patient: Id;
  records: Id[];
  purpose: number;
}
export interface BreakGlassBody {
  patient: Id;
  /** Purpose.ETREAT or Purpose.BTG. */
  reason: number;
}
export interface ReviewEmergencyBody {
  session: Id;
  justified: boolean;
}
export interface ReinstateBody {
  grantee: Id;
}
export type ProposeValidatorChangeBody =
  | { action: typeof GovAction.ADD_ORGANIZATION; pubkey: Uint8Array; proof: Uint8Array; name: string }
  | ({ action: typeof GovAction.ADD_VALIDATOR; org: Id } & ValidatorSeat)
  | { action: typeof GovAction.REMOVE_VALIDATOR; org: Id }
  | ({ action: typeof GovAction.JOIN; pubkey: Uint8Array; proof: Uint8Array; name: string } & ValidatorSeat);
/**
 * A validator seat asked for: the consensus key, the node's libp2p peer id (permissioned peers
 * admit it while it is in the set) and the consensus key's signature over both and the
 * organization (`consensusKeyProofPayload`), so nobody can seat a key it does not hold.
 */
export interface ValidatorSeat {
  consensusKey: Uint8Array;
  power: number;
  peerId: string;
  consensusProof: Uint8Array;
}
export interface VoteValidatorChangeBody {
  proposal: Id;
}

export interface BodyByKind {
  [TxKind.REGISTER_PATIENT]: RegisterPatientBody;
  [TxKind.REGISTER_PRACTITIONER]: RegisterPractitionerBody;
  [TxKind.ROTATE_KEY]: RotateKeyBody;
  [TxKind.SET_DELEGATE]: SetDelegateBody;
  [TxKind.REVOKE_DELEGATE]: RevokeDelegateBody;
  [TxKind.SET_RECOVERY]: SetRecoveryBody;
  [TxKind.START_RECOVERY]: StartRecoveryBody;
  [TxKind.CANCEL_RECOVERY]: CancelRecoveryBody;
  [TxKind.FINISH_RECOVERY]: FinishRecoveryBody;
  [TxKind.ISSUE_CREDENTIAL]: IssueCredentialBody;
  [TxKind.REVOKE_CREDENTIAL]: RevokeCredentialBody;
  [TxKind.ADD_RECORD]: AddRecordBody;
  [TxKind.ERASE_RECORD]: EraseRecordBody;
  [TxKind.SET_LEGAL_HOLD]: SetLegalHoldBody;
  [TxKind.GRANT_CONSENT]: GrantConsentBody;
  [TxKind.REVOKE_CONSENT]: RevokeConsentBody;
  [TxKind.ACCESS]: AccessBody;
  [TxKind.BREAK_GLASS]: BreakGlassBody;
  [TxKind.REVIEW_EMERGENCY]: ReviewEmergencyBody;
  [TxKind.REINSTATE]: ReinstateBody;
  [TxKind.PROPOSE_VALIDATOR_CHANGE]: ProposeValidatorChangeBody;
  [TxKind.VOTE_VALIDATOR_CHANGE]: VoteValidatorChangeBody;
  [TxKind.EVIDENCE]: EvidenceBody;
  [TxKind.ATTEST_DELETION]: AttestDeletionBody;
}

export interface BodyCodec<B> {
  /** The body as the CBOR tuple that goes into the envelope. */
  encode(body: B): unknown[];
  /** Validates a raw decoded value; throws TxError(BAD_BODY). */
  decode(raw: unknown): B;
  /** Upper bound of the encoded body implied by the field bounds (checked by tests). */
  maxBytes: number;
}

// ---- field helpers (throw CodecError SHAPE; `codec()` maps to BAD_BODY) ----

const bad = shapeError;
const id = (v: unknown, what: string): Id => asBytes(v, what, ID_BYTES);
const key = (v: unknown, what: string): Uint8Array => asBytes(v, what, 32);
const sig = (v: unknown, what: string): Uint8Array => asBytes(v, what, 64);
const time = (v: unknown, what: string): number => asUint(v, what);
const u32 = (v: unknown, what: string): number => asUint(v, what, 0xffffffff);

/** A list of distinct ids, min..max long. */
function ids(v: unknown, what: string, min: number, max: number): Id[] {
  const a = asArray(v, what, max);
  if (a.length < min) throw bad(what);
  const out: Id[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = id(a[i], what);
    for (let j = 0; j < i; j++) if (equal(out[j] as Id, x)) throw bad(what);
    out[i] = x;
  }
  return out;
}

function purpose(v: unknown, what: string): number {
  const p = asUint(v, what, MAX_PURPOSE);
  if (p === 0) throw bad(what);
  return p;
}

/** A non-empty mask within `all`. */
function mask(v: unknown, what: string, all: number): number {
  const m = u32(v, what);
  if (m === 0 || (m & ~all) >>> 0 !== 0) throw bad(what);
  return m;
}

const PURPOSES_MASK = ((1 << (MAX_PURPOSE + 1)) - 2) >>> 0;

function credType(v: unknown, qualifier: number): number {
  const t = asUint(v, 'credType', 3);
  if (t === 0) throw bad('credType');
  if (t !== CredentialType.SPECIALTY && qualifier !== 0) throw bad('qualifier');
  return t;
}

/** Printable ASCII only, 1..ORG_NAME_MAX: a public organization name cannot hide binary or PHI-shaped text. */
function orgName(v: unknown): string {
  const s = asString(v, 'name', ORG_NAME_MAX);
  if (s.length === 0 || !/^[\x20-\x7e]+$/.test(s)) throw bad('name');
  return s;
}

/** A libp2p peer id in its base58btc text form (`12D3KooW...`, `Qm...`), bounded. */
function peerId(v: unknown): string {
  const s = asString(v, 'peerId', PEER_ID_MAX);
  if (!/^[1-9A-HJ-NP-Za-km-z]+$/.test(s)) throw bad('peerId');
  return s;
}

/** The four seat fields from position `i` of a governance body. */
function seat(a: unknown[], i: number): ValidatorSeat {
  const power = asUint(a[i + 1], 'power', MAX_VALIDATOR_POWER);
  if (power === 0) throw bad('power');
  return {
    consensusKey: key(a[i], 'consensusKey'),
    power,
    peerId: peerId(a[i + 2]),
    consensusProof: sig(a[i + 3], 'consensusProof'),
  };
}

function codec<B>(kind: number, maxBytes: number, enc: (b: B) => unknown[], dec: (t: unknown) => B): BodyCodec<B> {
  return {
    encode: enc,
    maxBytes,
    decode(raw) {
      try {
        return dec(raw);
      } catch (err) {
        if (err instanceof CodecError) throw new TxError(TxErrorCode.BAD_BODY, { kind, field: err.meta.what });
        throw err;
      }
    },
  };
}

const K = TxKind;

export const BODY_CODECS: { readonly [k in keyof BodyByKind]: BodyCodec<BodyByKind[k]> } = {
  [K.REGISTER_PATIENT]: codec<RegisterPatientBody>(
    K.REGISTER_PATIENT,
    112,
    (b) => [b.org, b.orgSig],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { org: id(t[0], 'org'), orgSig: sig(t[1], 'orgSig') };
    },
  ),
  [K.REGISTER_PRACTITIONER]: codec<RegisterPractitionerBody>(
    K.REGISTER_PRACTITIONER,
    112,
    (b) => [b.pubkey, b.proof],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { pubkey: key(t[0], 'pubkey'), proof: sig(t[1], 'proof') };
    },
  ),
  [K.ROTATE_KEY]: codec<RotateKeyBody>(
    K.ROTATE_KEY,
    112,
    (b) => [b.newPubkey, b.proof],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { newPubkey: key(t[0], 'newPubkey'), proof: sig(t[1], 'proof') };
    },
  ),
  [K.SET_DELEGATE]: codec<SetDelegateBody>(
    K.SET_DELEGATE,
    48,
    (b) => [b.delegate, b.expiresAt],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { delegate: id(t[0], 'delegate'), expiresAt: time(t[1], 'expiresAt') };
    },
  ),
  [K.REVOKE_DELEGATE]: codec<RevokeDelegateBody>(
    K.REVOKE_DELEGATE,
    40,
    (b) => [b.delegate],
    (raw) => ({ delegate: id(asTuple(raw, 1, 'body')[0], 'delegate') }),
  ),
  [K.SET_RECOVERY]: codec<SetRecoveryBody>(
    K.SET_RECOVERY,
    16 + MAX_GUARDIANS * 34,
    (b) => [b.guardians, b.threshold],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      const guardians = ids(t[0], 'guardians', 1, MAX_GUARDIANS);
      const threshold = asUint(t[1], 'threshold', guardians.length);
      if (threshold === 0) throw bad('threshold');
      return { guardians, threshold };
    },
  ),
  [K.START_RECOVERY]: codec<StartRecoveryBody>(
    K.START_RECOVERY,
    160 + MAX_GUARDIANS * 102,
    (b) => [b.patient, b.newPubkey, b.proof, b.approvals.map((a) => [a.guardian, a.sig])],
    (raw) => {
      const t = asTuple(raw, 4, 'body');
      const list = asArray(t[3], 'approvals', MAX_GUARDIANS);
      const approvals: RecoveryApproval[] = list.map((a) => {
        const p = asTuple(a, 2, 'approval');
        return { guardian: id(p[0], 'approval.guardian'), sig: sig(p[1], 'approval.sig') };
      });
      for (let i = 0; i < approvals.length; i++)
        for (let j = 0; j < i; j++)
          if (equal((approvals[i] as RecoveryApproval).guardian, (approvals[j] as RecoveryApproval).guardian))
            throw bad('approvals');
      return { patient: id(t[0], 'patient'), newPubkey: key(t[1], 'newPubkey'), proof: sig(t[2], 'proof'), approvals };
    },
  ),
  [K.CANCEL_RECOVERY]: codec<CancelRecoveryBody>(
    K.CANCEL_RECOVERY,
    1,
    () => [],
    (raw) => {
      asTuple(raw, 0, 'body');
      return {};
    },
  ),
  [K.FINISH_RECOVERY]: codec<FinishRecoveryBody>(
    K.FINISH_RECOVERY,
    40,
    (b) => [b.patient],
    (raw) => ({ patient: id(asTuple(raw, 1, 'body')[0], 'patient') }),
  ),
  [K.ISSUE_CREDENTIAL]: codec<IssueCredentialBody>(
    K.ISSUE_CREDENTIAL,
    64,
    (b) => [b.practitioner, b.credType, b.qualifier, b.validFrom, b.validUntil],
    (raw) => {
      const t = asTuple(raw, 5, 'body');
      const qualifier = u32(t[2], 'qualifier');
      const validFrom = time(t[3], 'validFrom');
      const validUntil = time(t[4], 'validUntil');
      if (validUntil <= validFrom) throw bad('validUntil');
      return {
        practitioner: id(t[0], 'practitioner'),
        credType: credType(t[1], qualifier),
        qualifier,
        validFrom,
        validUntil,
      };
    },
  ),
  [K.REVOKE_CREDENTIAL]: codec<RevokeCredentialBody>(
    K.REVOKE_CREDENTIAL,
    48,
    (b) => [b.practitioner, b.credType, b.qualifier],
    (raw) => {
      const t = asTuple(raw, 3, 'body');
      const qualifier = u32(t[2], 'qualifier');
      return { practitioner: id(t[0], 'practitioner'), credType: credType(t[1], qualifier), qualifier };
    },
  ),
  [K.ADD_RECORD]: codec<AddRecordBody>(
    K.ADD_RECORD,
    140 + LOCATOR_MAX_BYTES + 8,
    (b) => [b.record, b.patient, b.resourceType, b.commitment, b.locator, b.custodian, b.purpose],
    (raw) => {
      const t = asTuple(raw, 7, 'body');
      const locator = asBytes(t[4], 'locator', undefined, LOCATOR_MAX_BYTES);
      if (locator.length === 0) throw bad('locator');
      return {
        record: id(t[0], 'record'),
        patient: id(t[1], 'patient'),
        resourceType: asUint(t[2], 'resourceType', RESOURCE_TYPES.length - 1),
        commitment: asBytes(t[3], 'commitment', 32),
        locator,
        custodian: id(t[5], 'custodian'),
        purpose: purpose(t[6], 'purpose'),
      };
    },
  ),
  [K.ERASE_RECORD]: codec<EraseRecordBody>(
    K.ERASE_RECORD,
    40,
    (b) => [b.record],
    (raw) => ({ record: id(asTuple(raw, 1, 'body')[0], 'record') }),
  ),
  [K.ATTEST_DELETION]: codec<AttestDeletionBody>(
    K.ATTEST_DELETION,
    72,
    (b) => [b.record, b.receiptHash],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { record: id(t[0], 'record'), receiptHash: asBytes(t[1], 'receiptHash', 32) };
    },
  ),
  [K.SET_LEGAL_HOLD]: codec<SetLegalHoldBody>(
    K.SET_LEGAL_HOLD,
    40,
    (b) => [b.record, b.hold],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { record: id(t[0], 'record'), hold: asBool(t[1], 'hold') };
    },
  ),
  [K.GRANT_CONSENT]: codec<GrantConsentBody>(
    K.GRANT_CONSENT,
    120 + MAX_SCOPE_RECORDS * 34,
    (b) => [b.patient, b.grantee, b.records, b.types, b.actions, b.purposes, b.notBefore, b.expiresAt],
    (raw) => {
      const t = asTuple(raw, 8, 'body');
      const records = ids(t[2], 'records', 0, MAX_SCOPE_RECORDS);
      const types = u32(t[3], 'types');
      if ((types & ~ALL_TYPES_MASK) >>> 0 !== 0) throw bad('types');
      if (records.length === 0 && types === 0) throw bad('scope');
      const notBefore = time(t[6], 'notBefore');
      const expiresAt = time(t[7], 'expiresAt');
      if (expiresAt <= notBefore) throw bad('expiresAt');
      const patient = id(t[0], 'patient');
      const grantee = id(t[1], 'grantee');
      if (equal(patient, grantee)) throw bad('grantee');
      return {
        patient,
        grantee,
        records,
        types,
        actions: mask(t[4], 'actions', ACTION_MASK),
        purposes: mask(t[5], 'purposes', PURPOSES_MASK),
        notBefore,
        expiresAt,
      };
    },
  ),
  [K.REVOKE_CONSENT]: codec<RevokeConsentBody>(
    K.REVOKE_CONSENT,
    104,
    (b) => [b.patient, b.grantee, b.consent],
    (raw) => {
      const t = asTuple(raw, 3, 'body');
      return { patient: id(t[0], 'patient'), grantee: id(t[1], 'grantee'), consent: id(t[2], 'consent') };
    },
  ),
  [K.ACCESS]: codec<AccessBody>(
    K.ACCESS,
    40 + MAX_ACCESS_RECORDS * 34 + 8,
    (b) => [b.patient, b.records, b.purpose],
    (raw) => {
      const t = asTuple(raw, 3, 'body');
      return {
        patient: id(t[0], 'patient'),
        records: ids(t[1], 'records', 1, MAX_ACCESS_RECORDS),
        purpose: purpose(t[2], 'purpose'),
      };
    },
  ),
  [K.BREAK_GLASS]: codec<BreakGlassBody>(
    K.BREAK_GLASS,
    40,
    (b) => [b.patient, b.reason],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      const reason = purpose(t[1], 'reason');
      if (!isEmergencyPurpose(reason)) throw bad('reason');
      return { patient: id(t[0], 'patient'), reason };
    },
  ),
  [K.REVIEW_EMERGENCY]: codec<ReviewEmergencyBody>(
    K.REVIEW_EMERGENCY,
    40,
    (b) => [b.session, b.justified],
    (raw) => {
      const t = asTuple(raw, 2, 'body');
      return { session: id(t[0], 'session'), justified: asBool(t[1], 'justified') };
    },
  ),
  [K.EVIDENCE]: codec<EvidenceBody>(
    K.EVIDENCE,
    320,
    (b) => [voteTuple(b.a), voteTuple(b.b)],
    (raw) => {
      const [a, b] = asTuple(raw, 2, 'body').map(signedVote) as [SignedVote, SignedVote];
      // Equivocation: one validator, one height/round/step, two different values.
      const same =
        a.type === b.type && a.height === b.height && a.round === b.round && a.validatorIndex === b.validatorIndex;
      const differ =
        a.blockHash === null || b.blockHash === null ? a.blockHash !== b.blockHash : !equal(a.blockHash, b.blockHash);
      if (!same || !differ) throw bad('votes');
      return { a, b };
    },
  ),
  [K.REINSTATE]: codec<ReinstateBody>(
    K.REINSTATE,
    40,
    (b) => [b.grantee],
    (raw) => ({ grantee: id(asTuple(raw, 1, 'body')[0], 'grantee') }),
  ),
  [K.PROPOSE_VALIDATOR_CHANGE]: codec<ProposeValidatorChangeBody>(
    K.PROPOSE_VALIDATOR_CHANGE,
    // JOIN, the largest: array head, action, key, proof, name (64 bytes), consensus key, power,
    // peer id (64 bytes), consensus key proof.
    1 + 1 + 34 + 66 + 66 + 34 + 5 + 66 + 66,
    (b) => {
      if (b.action === GovAction.ADD_ORGANIZATION) return [b.action, b.pubkey, b.proof, b.name];
      if (b.action === GovAction.ADD_VALIDATOR)
        return [b.action, b.org, b.consensusKey, b.power, b.peerId, b.consensusProof];
      if (b.action === GovAction.JOIN)
        return [b.action, b.pubkey, b.proof, b.name, b.consensusKey, b.power, b.peerId, b.consensusProof];
      return [b.action, b.org];
    },
    (raw) => {
      const a = asArray(raw, 'body', 8);
      switch (a[0]) {
        case GovAction.ADD_ORGANIZATION:
          asTuple(a, 4, 'body');
          return {
            action: GovAction.ADD_ORGANIZATION,
            pubkey: key(a[1], 'pubkey'),
            proof: sig(a[2], 'proof'),
            name: orgName(a[3]),
          };
        case GovAction.ADD_VALIDATOR:
          asTuple(a, 6, 'body');
          return { action: GovAction.ADD_VALIDATOR, org: id(a[1], 'org'), ...seat(a, 2) };
        case GovAction.REMOVE_VALIDATOR:
          asTuple(a, 2, 'body');
          return { action: GovAction.REMOVE_VALIDATOR, org: id(a[1], 'org') };
        case GovAction.JOIN:
          asTuple(a, 8, 'body');
          return {
            action: GovAction.JOIN,
            pubkey: key(a[1], 'pubkey'),
            proof: sig(a[2], 'proof'),
            name: orgName(a[3]),
            ...seat(a, 4),
          };
        default:
          throw bad('action');
      }
    },
  ),
  [K.VOTE_VALIDATOR_CHANGE]: codec<VoteValidatorChangeBody>(
    K.VOTE_VALIDATOR_CHANGE,
    40,
    (b) => [b.proposal],
    (raw) => ({ proposal: id(asTuple(raw, 1, 'body')[0], 'proposal') }),
  ),
};

export type MedicalKind = keyof BodyByKind;

export const isMedicalKind = (k: number): k is MedicalKind => Object.hasOwn(BODY_CODECS, k);

/** Stateless body check for admission (RPC, gossip): throws TxError(UNKNOWN_KIND | BAD_BODY). */
export function decodeBody(tx: Pick<TxFields, 'kind' | 'body'>): BodyByKind[MedicalKind] {
  if (!isMedicalKind(tx.kind)) throw new TxError(TxErrorCode.UNKNOWN_KIND, { kind: tx.kind });
  return (BODY_CODECS[tx.kind] as BodyCodec<unknown>).decode(tx.body) as BodyByKind[MedicalKind];
}

export function encodeBody<K extends MedicalKind>(kind: K, body: BodyByKind[K]): unknown[] {
  return (BODY_CODECS[kind] as BodyCodec<BodyByKind[K]>).encode(body);
}

/** Encoded size of a body (tests check it against the kind's maxBytes). */
export const bodySize = (body: unknown[]): number => encode(body).length;

const voteTuple = (v: SignedVote): unknown[] => [v.type, v.height, v.round, v.blockHash, v.validatorIndex, v.signature];

function signedVote(raw: unknown): SignedVote {
  const t = asTuple(raw, 6, 'vote');
  const type = asUint(t[0], 'vote.type', 2);
  if (type !== VoteType.PREVOTE && type !== VoteType.PRECOMMIT) throw bad('vote.type');
  return {
    type,
    height: asUint(t[1], 'vote.height'),
    round: asUint(t[2], 'vote.round', 0xffff),
    blockHash: t[3] === null ? null : asBytes(t[3], 'vote.blockHash', 32),
    validatorIndex: asUint(t[4], 'vote.validatorIndex', 1023),
    signature: asBytes(t[5], 'vote.signature', 64),
  };
}
