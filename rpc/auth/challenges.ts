/** Sign-in challenges: single use, short-lived and bounded in number, whatever callers send. */

export interface Challenge {
  readonly nonce: string;
  /** The identity signing in; for a key challenge, the public key. */
  readonly identity: Uint8Array;
  /** A key-only sign-in (auth_keyChallenge): no identity, the key itself. */
  readonly key: boolean;
  /** The exact text the caller signs (under the sign-in signing domain). */
  readonly message: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export class ChallengeStore {
  /** Insertion order is issue order, so the first entry is always the oldest. */
  private readonly byNonce = new Map<string, Challenge>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byNonce.size;
  }

  add(c: Challenge, now: number): void {
    if (this.byNonce.size >= this.max) this.purge(now);
    // Still full: the oldest live challenge goes (its caller asks again).
    while (this.byNonce.size >= this.max) {
      const oldest = this.byNonce.keys().next().value as string;
      this.byNonce.delete(oldest);
    }
    this.byNonce.set(c.nonce, c);
  }

  /** Removes and returns the challenge: a nonce is spent by its first use, whatever the outcome. */
  take(nonce: string): Challenge | undefined {
    const c = this.byNonce.get(nonce);
    if (c !== undefined) this.byNonce.delete(nonce);
    return c;
  }

  purge(now: number): void {
    for (const [k, c] of this.byNonce) if (c.expiresAt <= now) this.byNonce.delete(k);
  }
}
