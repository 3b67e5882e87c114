import { type CommitCertificate, type Vote, VoteType } from './types.js';

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

/** The light-client check lives in src/chain (the SDK shares it without importing consensus). */
export { isValidCommit, verifyCommit } from '../../src/chain/commit.js';
