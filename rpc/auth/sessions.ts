/** Live sessions by bearer token: bounded in total and per identity, expired ones purged. */
import type { Session } from './caller.js';

export class SessionStore {
  private readonly byToken = new Map<string, Session>();
  /** Tokens of one identity, oldest first. */
  private readonly byIdentity = new Map<string, string[]>();

  constructor(
    private readonly max: number,
    private readonly maxPerIdentity: number,
    /** When full of live sessions: end the oldest (key sessions, cheap to redo) rather than refuse. */
    private readonly evictOldest = false,
  ) {}

  get size(): number {
    return this.byToken.size;
  }

  get(token: string): Session | undefined {
    return this.byToken.get(token);
  }

  /** false when the store is full of live sessions (the caller is refused, nobody is evicted). */
  add(s: Session, now: number): boolean {
    const mine = this.byIdentity.get(s.idHex) ?? [];
    // An identity signing in again pushes out its own oldest session, never anyone else's.
    while (mine.length >= this.maxPerIdentity) {
      const token = mine.shift() as string;
      // Ended, not just forgotten: a WS connection may still hold it.
      const old = this.byToken.get(token);
      if (old !== undefined) old.ended = 'replaced';
      this.byToken.delete(token);
    }
    if (this.byToken.size >= this.max) this.purge(now);
    // Map order is insertion order: the first token is the oldest.
    while (this.evictOldest && this.byToken.size >= this.max)
      this.end(this.byToken.keys().next().value as string, 'replaced');
    if (this.byToken.size >= this.max) return false;
    mine.push(s.token);
    this.byIdentity.set(s.idHex, mine);
    this.byToken.set(s.token, s);
    return true;
  }

  end(token: string, reason: string): boolean {
    const s = this.byToken.get(token);
    if (s === undefined) return false;
    s.ended = reason;
    this.byToken.delete(token);
    const mine = this.byIdentity.get(s.idHex);
    if (mine !== undefined) {
      const i = mine.indexOf(token);
      if (i >= 0) mine.splice(i, 1);
      if (mine.length === 0) this.byIdentity.delete(s.idHex);
    }
    return true;
  }

  purge(now: number): void {
    for (const [t, s] of this.byToken) if (s.expiresAt <= now) this.end(t, 'expired');
  }
}
