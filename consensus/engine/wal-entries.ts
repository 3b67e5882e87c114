import { asBool, asBytes, asTuple, asUint, decodeCanonical, encode, shapeError } from '../../src/codec/cbor.js';
import { decodeProposal, decodeVote, encodeProposal, encodeVote } from './messages.js';
import type { SignState } from './sign-guard.js';
import { HASH_LEN, type Proposal, SignStep, signStepOf, type Vote } from './types.js';

/** Our lock when we signed, so a restart keeps it (losing it could unlock us unsafely). */
export interface LockInfo {
  lockedRound: number;
  lockedHash: Uint8Array | null;
}

/**
 * One WAL record: a message we accepted (best-effort, not synced) or one we
 * signed (synced before it is sent, with our lock at that moment).
 */
export type WalEntry =
  | { kind: 'proposal'; own: boolean; proposal: Proposal; lock?: LockInfo }
  | { kind: 'vote'; own: boolean; vote: Vote; lock?: LockInfo };

export const walEntryHeight = (e: WalEntry): number => (e.kind === 'proposal' ? e.proposal.height : e.vote.height);

export function signStateOf(e: WalEntry): SignState {
  return e.kind === 'proposal'
    ? { height: e.proposal.height, round: e.proposal.round, step: SignStep.PROPOSE, blockHash: e.proposal.blockHash }
    : { height: e.vote.height, round: e.vote.round, step: signStepOf(e.vote.type), blockHash: e.vote.blockHash };
}

export function encodeWalEntry(e: WalEntry): Uint8Array {
  const msg = e.kind === 'proposal' ? encodeProposal(e.proposal) : encodeVote(e.vote);
  return encode([e.kind === 'proposal' ? 0 : 1, e.own, msg, e.lock?.lockedRound ?? -1, e.lock?.lockedHash ?? null]);
}

export function decodeWalEntry(bytes: Uint8Array, maxBytes: number): WalEntry {
  const t = asTuple(decodeCanonical(bytes, maxBytes), 5, 'wal');
  const own = asBool(t[1], 'wal.own');
  const msg = asBytes(t[2], 'wal.msg');
  const lockedRound = t[3] === -1 ? -1 : asUint(t[3], 'wal.lockedRound');
  const lockedHash = t[4] === null ? null : asBytes(t[4], 'wal.lockedHash', HASH_LEN);
  const lock = own ? { lockedRound, lockedHash } : undefined;
  if (!own && (lockedRound !== -1 || lockedHash !== null)) throw shapeError('wal.lock');
  if (t[0] === 0) {
    const e: WalEntry = { kind: 'proposal', own, proposal: decodeProposal(msg, maxBytes) };
    if (lock) e.lock = lock;
    return e;
  }
  if (t[0] === 1) {
    const e: WalEntry = { kind: 'vote', own, vote: decodeVote(msg) };
    if (lock) e.lock = lock;
    return e;
  }
  throw shapeError('wal.kind');
}
