/**
 * The medical transaction kinds, their reason codes and the closed
 * vocabularies bodies may use. Everything here is a number or a name from a
 * fixed list: no free text, so no PHI, can enter a body.
 */

/**
 * Kind numbers (the envelope's `kind`). Organizations have no kind: they enter
 * through genesis or a PROPOSE_VALIDATOR_CHANGE with GovAction.ADD_ORGANIZATION.
 */
export const TxKind = {
  REGISTER_PATIENT: 2,
  REGISTER_PRACTITIONER: 3,
  ROTATE_KEY: 4,
  SET_DELEGATE: 5,
  REVOKE_DELEGATE: 6,
  SET_RECOVERY: 7,
  START_RECOVERY: 8,
  CANCEL_RECOVERY: 9,
  FINISH_RECOVERY: 10,
  ISSUE_CREDENTIAL: 11,
  REVOKE_CREDENTIAL: 12,
  ADD_RECORD: 13,
  ERASE_RECORD: 14,
  SET_LEGAL_HOLD: 15,
  GRANT_CONSENT: 16,
  REVOKE_CONSENT: 17,
  ACCESS: 18,
  BREAK_GLASS: 19,
  REVIEW_EMERGENCY: 20,
  REINSTATE: 21,
  PROPOSE_VALIDATOR_CHANGE: 22,
  VOTE_VALIDATOR_CHANGE: 23,
  /** Two conflicting signed votes of one validator, reported by another validator. */
  EVIDENCE: 24,
  /**
   * The custodian organization anchors the hash of its signed deletion receipt
   * for an erased record (the vault's proof that ciphertext and keys are gone).
   */
  ATTEST_DELETION: 25,
} as const;
export type TxKind = (typeof TxKind)[keyof typeof TxKind];

export const TX_KIND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(TxKind).map(([name, n]) => [n, name]),
);

/**
 * Why an included transaction failed or was denied (the receipt's `code`).
 * Bounded and PHI-free, so tests, metrics and the audit index use them as is.
 */
export const ReasonCode = {
  // access decisions
  NO_CONSENT: 'NO_CONSENT',
  EXPIRED: 'EXPIRED',
  NOT_YET_VALID: 'NOT_YET_VALID',
  REVOKED: 'REVOKED',
  ERASED: 'ERASED',
  PURPOSE_MISMATCH: 'PURPOSE_MISMATCH',
  ACTION_MISMATCH: 'ACTION_MISMATCH',
  NOT_CREDENTIALED: 'NOT_CREDENTIALED',
  SUSPENDED: 'SUSPENDED',
  UNKNOWN_RECORD: 'UNKNOWN_RECORD',
  // identities and authority
  NOT_AUTHORIZED: 'NOT_AUTHORIZED',
  UNKNOWN_IDENTITY: 'UNKNOWN_IDENTITY',
  WRONG_IDENTITY_TYPE: 'WRONG_IDENTITY_TYPE',
  KEY_MISMATCH: 'KEY_MISMATCH',
  KEY_IN_USE: 'KEY_IN_USE',
  INVALID_KEY: 'INVALID_KEY',
  BAD_PROOF: 'BAD_PROOF',
  // state conflicts
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  NOT_FOUND: 'NOT_FOUND',
  LEGAL_HOLD: 'LEGAL_HOLD',
  /** A deletion attestation for a record that is not (yet) erased. */
  NOT_ERASED: 'NOT_ERASED',
  /** A record's deletion is attested once. */
  ALREADY_ATTESTED: 'ALREADY_ATTESTED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  NOT_SUSPENDED: 'NOT_SUSPENDED',
  // recovery
  THRESHOLD_NOT_MET: 'THRESHOLD_NOT_MET',
  TOO_EARLY: 'TOO_EARLY',
  // emergencies
  ALREADY_REVIEWED: 'ALREADY_REVIEWED',
  // governance
  NOT_VALIDATOR: 'NOT_VALIDATOR',
  ALREADY_VOTED: 'ALREADY_VOTED',
  CLOSED: 'CLOSED',
  INVALID_CHANGE: 'INVALID_CHANGE',
  /** The consensus key did not sign this seat (chain id, organization, key, peer id). */
  BAD_CONSENSUS_PROOF: 'BAD_CONSENSUS_PROOF',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

export const IdentityType = { PATIENT: 1, PRACTITIONER: 2, ORGANIZATION: 3 } as const;
export type IdentityType = (typeof IdentityType)[keyof typeof IdentityType];
export const IDENTITY_TYPE_NAMES = ['', 'patient', 'practitioner', 'organization'] as const;

/** Consent actions, as a bit mask. */
export const Action = { READ: 1, WRITE: 2 } as const;
export type Action = (typeof Action)[keyof typeof Action];
export const ACTION_MASK = 3;

/**
 * Purposes of use (HL7 v3 ActReason). A consent holds a bit mask (bit = code),
 * an access names one purpose. BTG (break the glass) only matters under an
 * emergency access.
 */
export const Purpose = { TREAT: 1, ETREAT: 2, HPAYMT: 3, HOPERAT: 4, HRESCH: 5, PUBHLTH: 6, BTG: 7 } as const;
export type Purpose = (typeof Purpose)[keyof typeof Purpose];
export const PURPOSE_NAMES: readonly string[] = [
  '',
  'TREAT',
  'ETREAT',
  'HPAYMT',
  'HOPERAT',
  'HRESCH',
  'PUBHLTH',
  'BTG',
];
export const MAX_PURPOSE = 7;
export const isEmergencyPurpose = (p: number): boolean => p === Purpose.ETREAT || p === Purpose.BTG;

/**
 * The FHIR resource types a pointer may name; the position is the on-chain
 * code (consent scopes use a bit mask over it, so at most 32 entries).
 * Append only.
 */
export const RESOURCE_TYPES = [
  'AllergyIntolerance',
  'Condition',
  'Procedure',
  'Observation',
  'DiagnosticReport',
  'ImagingStudy',
  'MedicationRequest',
  'MedicationStatement',
  'MedicationAdministration',
  'Immunization',
  'Encounter',
  'CarePlan',
  'DocumentReference',
  'Specimen',
  'FamilyMemberHistory',
  'ServiceRequest',
  'Composition',
  'Media',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
export const MEDICATION_REQUEST = RESOURCE_TYPES.indexOf('MedicationRequest');

export function resourceTypeCode(name: ResourceType | string): number {
  const i = (RESOURCE_TYPES as readonly string[]).indexOf(name);
  if (i < 0) throw new RangeError('unknown FHIR resource type');
  return i;
}

export const typesMask = (names: readonly (ResourceType | string)[]): number =>
  names.reduce((m, n) => (m | (1 << resourceTypeCode(n))) >>> 0, 0);
export const ALL_TYPES_MASK = (2 ** RESOURCE_TYPES.length - 1) >>> 0;

export const CredentialType = { LICENSE: 1, SPECIALTY: 2, EMERGENCY: 3 } as const;
export type CredentialType = (typeof CredentialType)[keyof typeof CredentialType];
export const CREDENTIAL_TYPE_NAMES = ['', 'license', 'specialty', 'emergency'] as const;

/**
 * Governance proposals (PROPOSE_VALIDATOR_CHANGE). JOIN is a new organization that becomes a
 * validator in one proposal (ADD_VALIDATOR needs the organization on chain already).
 */
export const GovAction = { ADD_ORGANIZATION: 1, ADD_VALIDATOR: 2, REMOVE_VALIDATOR: 3, JOIN: 4 } as const;
export type GovAction = (typeof GovAction)[keyof typeof GovAction];

/** Break-glass reasons (subset of ActReason). */
export const EmergencyReason = { ETREAT: Purpose.ETREAT, BTG: Purpose.BTG } as const;

// ---- limits (field bounds; each kind's body size follows from them, see BODY_MAX_BYTES) ----

export const ID_BYTES = 32;
export const LOCATOR_MAX_BYTES = 128;
export const MAX_ACCESS_RECORDS = 16;
export const MAX_SCOPE_RECORDS = 16;
export const MAX_GUARDIANS = 5;
export const MAX_CONSENTS_PER_PAIR = 8;
export const ORG_NAME_MAX = 64;
/** A libp2p peer id's text form (an Ed25519 id is 52 characters). */
export const PEER_ID_MAX = 64;
export const MAX_VALIDATOR_POWER = 1_000_000;
