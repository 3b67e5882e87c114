import { ConsensusError, ConsensusErrorCode } from './errors.js';
import { voteSignBytes } from './messages.js';
import { type CommitCertificate, type Verify, type Vote, VoteType } from './types.js';
import type { ValidatorSet } from './validator-set.js';

/** The PRECOMMIT vote that a certificate entry is a signature of. */
export function certificateVote(cert: CommitCertificate, i: number): Vote {
  const s = cert.signatures[i];
  if (!s) throw new RangeError('certificate index');
  return {
    type: VoteType.PRECOMMIT,
    height: cert.height,
    round: cert.round,
    blockHash: cert.blockHash,
    validatorIndex: s.validatorIndex,
    signature: s.signature,
  };
}

/** Builds the canonical certificate (sorted by index) from precommits for one hash. */
export function certificateFromVotes(
  height: number,
  round: number,
  blockHash: Uint8Array,
  votes: readonly Vote[],
): CommitCertificate {
  const signatures = votes
    .map((v) => ({ validatorIndex: v.validatorIndex, signature: v.signature }))
    .sort((a, b) => a.validatorIndex - b.validatorIndex);
  return { height, round, blockHash, signatures };
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
    throw new ConsensusError(ConsensusErrorCode.CERT_WRONG_HEIGHT, { height: cert.height, expected: expectedHeight });
  let power = 0;
  let prev = -1;
  for (let i = 0; i < cert.signatures.length; i++) {
    const { validatorIndex, signature } = cert.signatures[i] as CommitCertificate['signatures'][number];
    if (validatorIndex <= prev) throw new ConsensusError(ConsensusErrorCode.CERT_DUPLICATE_SIGNER, { validatorIndex });
    prev = validatorIndex;
    const pk = set.pubkey(validatorIndex);
    if (!pk) throw new ConsensusError(ConsensusErrorCode.CERT_UNKNOWN_VALIDATOR, { validatorIndex });
    const bytes = voteSignBytes({
      type: VoteType.PRECOMMIT,
      height: cert.height,
      round: cert.round,
      blockHash: cert.blockHash,
      validatorIndex,
    });
    if (!verify(pk, bytes, signature))
      throw new ConsensusError(ConsensusErrorCode.CERT_BAD_SIGNATURE, { validatorIndex });
    power += set.power(validatorIndex);
  }
  if (power < set.quorum)
    throw new ConsensusError(ConsensusErrorCode.CERT_INSUFFICIENT_POWER, { power, quorum: set.quorum });
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
