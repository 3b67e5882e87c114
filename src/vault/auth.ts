/**
 * Authentication of a signed vault request, before any body is read or anything is submitted:
 * size-bounded decode → op, vault and record binding → freshness → signature → replay (nonce) →
 * the identity's current key on chain, in good standing. Cheap checks first; the chain read comes last, so junk
 * costs a decode and at most one verify.
 *
 * Replay: nonces live in memory for 2 × maxSkew; a request signed before this process started is
 * STALE. A request dated at or after `now` could still be fresh after a restart, so its nonce is
 * persisted (rare: clocks ahead of the vault's); so is every access tx the vault acts on, since a
 * new request may carry an old tx (see `seenOnce`).
 */

import {
  decodeRequest,
  VaultError,
  VaultErrorCode,
  type VaultOp,
  type VaultRequest,
} from '../client/vault/protocol.js';
import { equal, to0x, utf8 } from '../codec/bytes.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { verify } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import type { IdentityView, VaultChain } from './chain.js';
import type { VaultStore } from './store.js';

export interface Verifier {
  verify(msg: Uint8Array, sig: Uint8Array, pk: Uint8Array, o: { batchable: boolean }): Promise<boolean>;
}

export interface AuthOptions {
  maxSkewMs: number;
  keyCacheMs: number;
  maxNonces: number;
}

/** A request whose signature, freshness, nonce and signer's current key all checked. */
export interface Authed {
  readonly req: VaultRequest;
}

const KEY_CACHE_MAX = 100_000;

export class RequestAuth {
  private readonly nonces = new Map<string, number>();
  private readonly keys = new Map<string, { who: IdentityView | undefined; until: number }>();
  /** Requests signed before this instant (the service's start) are STALE. */
  readonly notBefore: number;

  constructor(
    private readonly opts: AuthOptions,
    private readonly deps: {
      chain: VaultChain;
      store: VaultStore;
      vault: Uint8Array;
      now: () => number;
      verifier?: Verifier;
    },
  ) {
    this.notBefore = deps.now();
  }

  /** Loads the persisted nonces that are still live (call once at start). */
  async load(): Promise<void> {
    for (const n of await this.deps.store.loadNonces(this.deps.now())) this.nonces.set(to0x(n.key), n.until);
  }

  async authenticate(header: Uint8Array, op: VaultOp, record: Uint8Array): Promise<Authed> {
    const { req, payload, sig } = decodeRequest(header);
    const d = this.deps;
    if (req.op !== op) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'op' });
    if (!equal(req.vault, d.vault)) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'vault' });
    if (!equal(req.record, record)) throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'record' });
    const now = d.now();
    if (Math.abs(now - req.time) > this.opts.maxSkewMs)
      throw new VaultError(VaultErrorCode.STALE_REQUEST, { skewMs: now - req.time });
    if (req.time < this.notBefore)
      throw new VaultError(VaultErrorCode.STALE_REQUEST, { what: 'signed before restart' });
    const msg = signingMessage(SignPurpose.VAULT_REQUEST, d.chain.chainId, payload);
    const v = d.verifier;
    if (!(v === undefined ? verify(sig, msg, req.pubkey) : await v.verify(msg, sig, req.pubkey, { batchable: true })))
      throw new VaultError(VaultErrorCode.BAD_SIGNATURE);
    // After the signature, so nobody can burn another identity's nonces.
    const persist = req.time >= now;
    if (!(await this.seenOnce(`${to0x(req.identity)}/${to0x(req.nonce)}`, 2 * this.opts.maxSkewMs + 1, persist)))
      throw new VaultError(VaultErrorCode.REPLAYED);
    const who = await this.identity(req.identity);
    if (who === undefined || !equal(who.pubkey, req.pubkey)) throw new VaultError(VaultErrorCode.KEY_MISMATCH);
    // A suspended identity acts nowhere (its ACCESS would be denied on chain anyway).
    if (who.suspended) throw new VaultError(VaultErrorCode.NOT_AUTHORIZED, { reason: 'SUSPENDED' });
    return { req };
  }

  /**
   * Marks `id` used for `ttlMs` (persisted if `persist`); false if it was already. When the table
   * is full of live ids the request is refused rather than an id forgotten (it could be replayed).
   */
  async seenOnce(id: string, ttlMs: number, persist: boolean): Promise<boolean> {
    const now = this.deps.now();
    const key = to0x(sha256(utf8(id)));
    const seen = this.nonces.get(key);
    if (seen !== undefined && seen > now) return false;
    if (this.nonces.size >= this.opts.maxNonces) {
      for (const [k, until] of this.nonces) if (until <= now) this.nonces.delete(k);
      if (this.nonces.size >= this.opts.maxNonces) throw new VaultError(VaultErrorCode.UNAVAILABLE, { what: 'nonces' });
    }
    const until = now + ttlMs;
    this.nonces.set(key, until);
    if (persist) await this.deps.store.putNonce(sha256(utf8(id)), until);
    return true;
  }

  /**
   * The identity's current key and standing on chain, cached for keyCacheMs (a rotation or a
   * suspension takes effect within it).
   */
  async identity(id: Uint8Array): Promise<IdentityView | undefined> {
    const k = to0x(id);
    const now = this.deps.now();
    const hit = this.keys.get(k);
    if (hit !== undefined && hit.until > now) return hit.who;
    const who = await this.deps.chain.identity(id);
    if (this.keys.size >= KEY_CACHE_MAX) this.keys.clear();
    this.keys.set(k, { who, until: now + this.opts.keyCacheMs });
    return who;
  }
}
