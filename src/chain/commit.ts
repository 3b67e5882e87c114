import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode, shapeError } from '../codec/cbor.js';
import { CommitError, CommitErrorCode } from './commit-error.js';
import { MAX_VALIDATORS, type ValidatorSet } from './validator-set.js';
import { VoteType, voteSignBytes } from './vote.js';

/**
 * Commit certificates: their canonical bytes and the check that one makes a block final. They
 * live in the bottom layer (as CometBFT's VerifyCommitLight lives in `types`) so that consensus,
 * sync, RPC and the browser SDK share one definition without importing consensus.
 */

export const HASH_LEN = 32;
export const MAX_SIGNATURE_LEN = 128;
export const MAX_COMMIT_BYTES = 64 + MAX_VALIDATORS * (MAX_SIGNATURE_LEN + 8);

export interface CommitSignature {
  validatorIndex: number;
  signature: Uint8Array;
}

/** More than 2/3 of the power signed PRECOMMIT(height, round, blockHash): the block is final. */
export interface CommitCertificate {
  height: number;
  round: number;
  blockHash: Uint8Array;
  /** Sorted by validatorIndex, no duplicates (canonical). */
  signatures: CommitSignature[];
}

/** Checks a signature over the exact bytes given (the caller adds domain separation). */
export type Verify = (pubkey: Uint8Array, bytes: Uint8Array, signature: Uint8Array) => boolean;

export function encodeCommit(c: CommitCertificate): Uint8Array {
  return encode([c.height, c.round, c.blockHash, c.signatures.map((s) => [s.validatorIndex, s.signature])]);
}

export function decodeCommit(bytes: Uint8Array, maxBytes = MAX_COMMIT_BYTES): CommitCertificate {
  const t = asTuple(decodeCanonical(bytes, maxBytes), 4, 'commit');
  const list = asArray(t[3], 'commit.signatures', MAX_VALIDATORS);
  const signatures: CommitSignature[] = [];
  let prev = -1;
  for (const item of list) {
    const s = asTuple(item, 2, 'commit.signature');
    const validatorIndex = asUint(s[0], 'commit.validatorIndex', MAX_VALIDATORS - 1);
    // Strictly increasing indexes: one encoding per signer set, no duplicates.
    if (validatorIndex <= prev) throw shapeError('commit.order');
    prev = validatorIndex;
    signatures.push({ validatorIndex, signature: asBytes(s[1], 'commit.sig', undefined, MAX_SIGNATURE_LEN) });
  }
  return {
    height: asUint(t[0], 'commit.height'),
    round: asUint(t[1], 'commit.round', 0xffffffff),
    blockHash: asBytes(t[2], 'commit.blockHash', HASH_LEN),
    signatures,
  };
}

/**
 * Throws unless more than 2/3 of the power of distinct validators of `set`
 * signed PRECOMMIT(height, round, blockHash). Every listed signature must be
 * valid: a certificate is canonical data, not a best-effort tally.
 */
export function verifyCommit(
  cert: CommitCertificate,
  set: ValidatorSet,
  verify: Verify,
  expectedHeight?: number,
): void {
  if (expectedHeight !== undefined && cert.height !== expectedHeight)
    throw new CommitError(CommitErrorCode.CERT_WRONG_HEIGHT, { height: cert.height, expected: expectedHeight });
  let power = 0;
  let prev = -1;
  for (let i = 0; i < cert.signatures.length; i++) {
    const { validatorIndex, signature } = cert.signatures[i] as CommitSignature;
    if (validatorIndex <= prev) throw new CommitError(CommitErrorCode.CERT_DUPLICATE_SIGNER, { validatorIndex });
    prev = validatorIndex;
    const pk = set.pubkey(validatorIndex);
    if (!pk) throw new CommitError(CommitErrorCode.CERT_UNKNOWN_VALIDATOR, { validatorIndex });
    const bytes = voteSignBytes({
      type: VoteType.PRECOMMIT,
      height: cert.height,
      round: cert.round,
      blockHash: cert.blockHash,
      validatorIndex,
    });
    if (!verify(pk, bytes, signature)) throw new CommitError(CommitErrorCode.CERT_BAD_SIGNATURE, { validatorIndex });
    power += set.power(validatorIndex);
  }
  if (power < set.quorum) throw new CommitError(CommitErrorCode.CERT_INSUFFICIENT_POWER, { power, quorum: set.quorum });
}

/** verifyCommit as a predicate. */
export function isValidCommit(cert: CommitCertificate, set: ValidatorSet, verify: Verify, height?: number): boolean {
  try {
    verifyCommit(cert, set, verify, height);
    return true;
  } catch {
    return false;
  }
}
