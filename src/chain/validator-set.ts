import { toHex } from '../codec/bytes.js';
import { encode } from '../codec/cbor.js';
import { CommitError, CommitErrorCode } from './commit-error.js';
import type { Validator } from './validators.js';

/** Bounds a validator set, and so the signer list of a certificate (and its decode work). */
export const MAX_VALIDATORS = 1024;

/** Keeps 2 * total power a safe integer. */
const MAX_TOTAL_POWER = 2 ** 50;
/** Above this reduced period the proposer schedule is computed per call instead of tabled. */
const MAX_SCHEDULE = 4096;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * An ordered validator set. Votes name validators by index into this order.
 * Quorum is more than 2/3 of the total power; "f+1" is more than 1/3 (enough
 * to include at least one honest validator).
 */
export class ValidatorSet {
  readonly validators: readonly Validator[];
  readonly totalPower: number;
  /** Smallest power strictly greater than 2/3 of the total. */
  readonly quorum: number;
  /** Smallest power strictly greater than 1/3 of the total. */
  readonly oneThird: number;
  private readonly byPubkey = new Map<string, number>();
  private schedule: number[] | undefined;

  constructor(validators: readonly Validator[]) {
    if (validators.length === 0 || validators.length > MAX_VALIDATORS)
      throw new CommitError(CommitErrorCode.INVALID_VALIDATOR_SET, { size: validators.length });
    let total = 0;
    const ids = new Set<string>();
    validators.forEach((v, i) => {
      if (v.id.length !== 32 || v.pubkey.length !== 32 || !Number.isSafeInteger(v.power) || v.power <= 0)
        throw new CommitError(CommitErrorCode.INVALID_VALIDATOR_SET, { index: i });
      const pk = toHex(v.pubkey);
      const id = toHex(v.id);
      if (this.byPubkey.has(pk) || ids.has(id))
        throw new CommitError(CommitErrorCode.INVALID_VALIDATOR_SET, { duplicate: i });
      this.byPubkey.set(pk, i);
      ids.add(id);
      total += v.power;
    });
    if (total > MAX_TOTAL_POWER) throw new CommitError(CommitErrorCode.INVALID_VALIDATOR_SET, { total });
    this.validators = validators.map((v) => ({ ...v }));
    this.totalPower = total;
    this.quorum = Math.floor((2 * total) / 3) + 1;
    this.oneThird = Math.floor(total / 3) + 1;
  }

  get size(): number {
    return this.validators.length;
  }

  power(index: number): number {
    return this.validators[index]?.power ?? 0;
  }

  pubkey(index: number): Uint8Array | undefined {
    return this.validators[index]?.pubkey;
  }

  indexOfPubkey(pubkey: Uint8Array): number {
    return this.byPubkey.get(toHex(pubkey)) ?? -1;
  }

  /**
   * Proposer of (height, round): smooth weighted round-robin over the powers
   * divided by their gcd, indexed by height + round. Equal powers give
   * (height + round) mod n; a validator with twice the power proposes twice as
   * often, interleaved with the others rather than in a burst.
   */
  proposer(height: number, round: number): number {
    const sched = this.proposerSchedule();
    if (sched) return sched[(height + round) % sched.length] as number;
    // Huge reduced period: fall back to cumulative ranges (still proportional).
    let slot = (height + round) % this.totalPower;
    for (let i = 0; i < this.validators.length; i++) {
      slot -= this.power(i);
      if (slot < 0) return i;
    }
    return 0;
  }

  private proposerSchedule(): number[] | undefined {
    if (this.schedule) return this.schedule;
    const g = this.validators.reduce((a, v) => gcd(a, v.power), 0);
    const w = this.validators.map((v) => v.power / g);
    const period = w.reduce((a, b) => a + b, 0);
    if (period > MAX_SCHEDULE) return undefined;
    const current = w.map(() => 0);
    const out: number[] = [];
    for (let s = 0; s < period; s++) {
      let best = 0;
      for (let i = 0; i < w.length; i++) {
        current[i] = (current[i] as number) + (w[i] as number);
        if ((current[i] as number) > (current[best] as number)) best = i;
      }
      current[best] = (current[best] as number) - period;
      out.push(best);
    }
    this.schedule = out;
    return out;
  }

  /** Canonical encoding, e.g. for a header's validatorsHash. */
  encode(): Uint8Array {
    return encode(this.validators.map((v) => [v.id, v.pubkey, v.power]));
  }
}
