import { toHex } from '../../src/codec/bytes.js';
import type { Vote } from './types.js';

export const NIL_KEY = 'nil';
export const hashKey = (h: Uint8Array | null): string => (h === null ? NIL_KEY : toHex(h));

/** Hard bound on the values one validator is counted for in one round. */
const MAX_VALUES_PER_VALIDATOR = 16;

export type AddResult =
  | { kind: 'added' }
  | { kind: 'duplicate' }
  /** counted: the vote now counts for its value too (keep it, e.g. in the WAL). */
  | { kind: 'conflict'; first: Vote; report: boolean; counted: boolean };

/**
 * Votes of one type for one (height, round). Each validator's power counts
 * at most once per value, but an equivocator counts for every value it
 * signed (up to a small cap), as in the Tendermint paper where a process
 * counts all messages it receives: otherwise the honest side of an
 * equivocation split could never see the polka that locked the other side,
 * and rounds would fail forever. This stays safe: two quorums for different
 * values overlap in more than 1/3 of the power, which needs an honest
 * validator voting twice. Memory stays bounded: the caller only lets a
 * second vote count for nil or a block it holds (as Tendermint only tracks
 * conflicting votes for blocks a peer claims a majority for), so flooding
 * random hashes cannot crowd out the vote that completes a polka.
 */
export class VoteSet {
  private readonly first: (Vote | undefined)[];
  /** Further distinct votes of equivocators, counted for their own values. */
  private readonly extra: Vote[] = [];
  private readonly power = new Map<string, number>();
  private readonly equivocators = new Set<number>();
  /** Power of all distinct voters, whatever they voted. */
  totalVoted = 0;

  constructor(size: number) {
    this.first = new Array<Vote | undefined>(size);
  }

  add(vote: Vote, power: number, countConflict = true): AddResult {
    const first = this.first[vote.validatorIndex];
    const k = hashKey(vote.blockHash);
    if (!first) {
      this.first[vote.validatorIndex] = vote;
      this.power.set(k, (this.power.get(k) ?? 0) + power);
      this.totalVoted += power;
      return { kind: 'added' };
    }
    if (hashKey(first.blockHash) === k) return { kind: 'duplicate' };
    const mine = this.extra.filter((v) => v.validatorIndex === vote.validatorIndex);
    if (mine.some((v) => hashKey(v.blockHash) === k)) return { kind: 'duplicate' };
    const counted = countConflict && mine.length + 1 < MAX_VALUES_PER_VALIDATOR;
    if (counted) {
      this.extra.push(vote);
      this.power.set(k, (this.power.get(k) ?? 0) + power);
    }
    const report = !this.equivocators.has(vote.validatorIndex);
    this.equivocators.add(vote.validatorIndex);
    return { kind: 'conflict', first, report, counted };
  }

  powerFor(key: string): number {
    return this.power.get(key) ?? 0;
  }

  /** The key (hash hex or 'nil') holding at least `quorum`, if any. */
  quorumKey(quorum: number): string | undefined {
    for (const [k, p] of this.power) if (p >= quorum) return k;
    return undefined;
  }

  /** Every counted vote for `key`, one per validator, in validator order. */
  votesFor(key: string): Vote[] {
    const out: Vote[] = [];
    for (const v of this.first) if (v && hashKey(v.blockHash) === key) out.push(v);
    for (const v of this.extra) if (hashKey(v.blockHash) === key) out.push(v);
    return out.sort((a, b) => a.validatorIndex - b.validatorIndex);
  }

  /** Each validator's first vote. */
  all(): Vote[] {
    return this.first.filter((v): v is Vote => v !== undefined);
  }

  get(index: number): Vote | undefined {
    return this.first[index];
  }
}
