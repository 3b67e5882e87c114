import { encode } from '../codec/cbor.js';
import { sha256 } from '../crypto/hash.js';

/** A validator: an organization's node with its consensus key and voting power. */
export interface Validator {
  /** The organization's identity id. */
  id: Uint8Array;
  /** Consensus key (signs votes and proposals). */
  pubkey: Uint8Array;
  power: number;
}

export const encodeValidators = (vs: readonly Validator[]): Uint8Array =>
  encode(vs.map((v) => [v.id, v.pubkey, v.power]));
export const validatorsHash = (vs: readonly Validator[]): Uint8Array => sha256(encodeValidators(vs));
