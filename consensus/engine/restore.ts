import type { EngineStep } from './engine-core.js';
import type { HeightState } from './height-state.js';
import type { SignGuard, SignState } from './sign-guard.js';
import { SignStep } from './types.js';
import { type LockInfo, signStateOf, type WalEntry, walEntryHeight } from './wal-entries.js';

export interface RestoreTarget {
  hs: HeightState;
  guard: SignGuard;
  myIndex: number;
  setLock(l: LockInfo): void;
  /** Feed a replayed message into the vote sets (no rule evaluation yet). */
  accept(e: WalEntry): void;
}

const after = (a: SignState, b: SignState): boolean =>
  (a.height - b.height || a.round - b.round || a.step - b.step) > 0;

/**
 * Rebuilds the current height from the WAL after a crash: every own record
 * moves the sign guard forward (whatever its height), our signed messages of
 * this height are re-adopted (so they are re-sent, never re-signed
 * differently), the lock of the latest one is restored, and received
 * messages are replayed. Returns where to resume, or undefined if we had
 * signed nothing at this height.
 */
export function restoreFromWal(
  t: RestoreTarget,
  wal: readonly WalEntry[],
  height: number,
): { round: number; step: EngineStep } | undefined {
  let last: { state: SignState; entry: WalEntry } | undefined;
  for (const e of wal) {
    if (e.own) t.guard.observe(signStateOf(e));
    if (walEntryHeight(e) !== height) continue;
    if (e.own) {
      const state = signStateOf(e);
      const rs = t.hs.round(state.round);
      if (e.kind === 'proposal') rs.ownProposal = e.proposal;
      else if (state.step === SignStep.PREVOTE) rs.ownPrevote = e.vote;
      else rs.ownPrecommit = e.vote;
      if (!last || after(state, last.state)) last = { state, entry: e };
    }
    t.accept(e);
  }
  if (!last) return undefined;
  t.setLock(last.entry.lock ?? { lockedRound: -1, lockedHash: null });
  const step: EngineStep =
    last.state.step === SignStep.PROPOSE ? 'propose' : last.state.step === SignStep.PREVOTE ? 'prevote' : 'precommit';
  return { round: last.state.round, step };
}
