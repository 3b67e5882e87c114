import type { Validator } from '../chain/validators.js';
import { toHex } from '../codec/bytes.js';

/**
 * This node's organization in the head's validator set, or undefined. Governance changes the set
 * without a restart: a node whose consensus key enters the set starts proposing and signing at the
 * activation height, and stops when it is removed. The engine finds its own index per height by
 * the same key; this gives the organization id (block proposer, evidence signer, metrics).
 */
export function ownValidatorId(
  chain: { readonly validators: readonly Validator[] },
  pubkey: Uint8Array | undefined,
): () => Uint8Array | undefined {
  if (pubkey === undefined) return () => undefined;
  const pk = toHex(pubkey);
  let seen: readonly Validator[] | undefined;
  let id: Uint8Array | undefined;
  return () => {
    const vs = chain.validators;
    // The set is a new array only when it changes: one scan per change, not per call.
    if (vs !== seen) {
      seen = vs;
      id = vs.find((v) => toHex(v.pubkey) === pk)?.id;
    }
    return id;
  };
}
