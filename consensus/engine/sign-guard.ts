import { equal } from '../../src/codec/bytes.js';
import { asBytes, asTuple, asUint, decodeCanonical, encode, shapeError } from '../../src/codec/cbor.js';
import { ConsensusError, ConsensusErrorCode } from './errors.js';
import { HASH_LEN, SignStep } from './types.js';

/** The last (height, round, step, hash) this validator signed. */
export interface SignState {
  height: number;
  round: number;
  step: SignStep;
  blockHash: Uint8Array | null;
}

function cmp(a: SignState, h: number, r: number, s: SignStep): number {
  return a.height - h || a.round - r || a.step - s;
}

/**
 * privval-style double-sign protection. Signing is allowed only strictly
 * after the last signed (height, round, step), or at that very point for the
 * same hash (re-sending after a restart). Everything else is refused: a
 * different hash at the same point is equivocation, anything lower is a
 * regression (e.g. a replayed old round). The state must be durable before
 * the signature leaves the process (the engine emits persistSignState first).
 */
export class SignGuard {
  private last: SignState | undefined;

  constructor(last?: SignState) {
    this.last = last ? { ...last } : undefined;
  }

  get state(): SignState | undefined {
    return this.last;
  }

  /** 'new' may be signed; 'same' was already signed identically; throws otherwise. */
  check(height: number, round: number, step: SignStep, blockHash: Uint8Array | null): 'new' | 'same' {
    const last = this.last;
    if (!last) return 'new';
    const c = cmp(last, height, round, step);
    if (c < 0) return 'new';
    if (c > 0)
      throw new ConsensusError(ConsensusErrorCode.SIGN_REGRESSION, { height, round, step, lastHeight: last.height });
    const same =
      blockHash === null ? last.blockHash === null : last.blockHash !== null && equal(blockHash, last.blockHash);
    if (!same) throw new ConsensusError(ConsensusErrorCode.SIGN_CONFLICT, { height, round, step });
    return 'same';
  }

  /** check() then remember; returns what check() returned. */
  advance(height: number, round: number, step: SignStep, blockHash: Uint8Array | null): 'new' | 'same' {
    const r = this.check(height, round, step, blockHash);
    this.last = { height, round, step, blockHash };
    return r;
  }

  /** Takes a state read back from durable storage if it is later than ours. */
  observe(s: SignState): void {
    if (!this.last || cmp(this.last, s.height, s.round, s.step) < 0) this.last = { ...s };
  }
}

export function encodeSignState(s: SignState): Uint8Array {
  return encode([s.height, s.round, s.step, s.blockHash]);
}

export function decodeSignState(bytes: Uint8Array): SignState {
  const t = asTuple(decodeCanonical(bytes, 128), 4, 'signState');
  const step = asUint(t[2], 'signState.step');
  if (step !== SignStep.PROPOSE && step !== SignStep.PREVOTE && step !== SignStep.PRECOMMIT)
    throw shapeError('signState.step');
  return {
    height: asUint(t[0], 'signState.height'),
    round: asUint(t[1], 'signState.round'),
    step,
    blockHash: t[3] === null ? null : asBytes(t[3], 'signState.blockHash', HASH_LEN),
  };
}
