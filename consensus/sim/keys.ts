import { equal, toHex, utf8 } from '../../src/codec/bytes.js';
import { sha256, sha256Parts } from '../../src/crypto/hash.js';
import type { Signer, Validator, Verify } from '../engine/types.js';
import { ValidatorSet } from '../engine/validator-set.js';

/**
 * A fast stand-in signature scheme for simulation and tests:
 * sig = sha256(secret || bytes), checked by a keyring that knows the secrets.
 * Unforgeable within the simulation because nodes only hold their own secret;
 * it exercises everything in consensus except the curve arithmetic.
 */
export interface SimKey {
  id: Uint8Array;
  pubkey: Uint8Array;
  secret: Uint8Array;
  signer: Signer;
}

export function simKey(i: number): SimKey {
  const secret = sha256(utf8(`medchain-sim-secret-${i}`));
  return {
    id: sha256(utf8(`medchain-sim-id-${i}`)),
    pubkey: sha256(secret),
    secret,
    signer: { sign: (bytes) => sha256Parts([secret, bytes]) },
  };
}

export class Keyring {
  private readonly secrets = new Map<string, Uint8Array>();
  readonly verify: Verify = (pubkey, bytes, sig) => {
    const s = this.secrets.get(toHex(pubkey));
    return s !== undefined && equal(sha256Parts([s, bytes]), sig);
  };

  add(k: SimKey): void {
    this.secrets.set(toHex(k.pubkey), k.secret);
  }
}

/** n validators with the given powers (default 1 each), their keys and a keyring. */
export function simValidators(n: number, powers?: readonly number[]) {
  const keys = Array.from({ length: n }, (_, i) => simKey(i));
  const keyring = new Keyring();
  for (const k of keys) keyring.add(k);
  const validators: Validator[] = keys.map((k, i) => ({ id: k.id, pubkey: k.pubkey, power: powers?.[i] ?? 1 }));
  return { keys, keyring, set: new ValidatorSet(validators) };
}
