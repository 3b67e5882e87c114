import { CryptoError, CryptoErrorCode } from './ed25519.js';

/**
 * Domain separation: every signed message is
 *   utf8("medchain/v1/" + purpose) || 0x00 || u8(len(chainId)) || utf8(chainId) || payload
 * Purposes contain no 0x00 and the chain id is length-prefixed, so the prefix
 * parses one way only: a vote never verifies as a transaction, nor a
 * signature from one chain on another.
 */
export const SignPurpose = {
  TX: 'tx',
  COSIGN: 'cosign',
  KEY_PROOF: 'key-proof',
  VOTE: 'vote',
  PROPOSAL: 'proposal',
  VAULT_REQUEST: 'vault-request',
  DELETION_RECEIPT: 'deletion-receipt',
  /** A node's sign-in challenge (JSON-RPC auth_login): never valid as a tx or vote. */
  SIGN_IN: 'sign-in',
} as const;
export type SignPurpose = (typeof SignPurpose)[keyof typeof SignPurpose];

const PURPOSES: ReadonlySet<string> = new Set(Object.values(SignPurpose));
export const MAX_CHAIN_ID_BYTES = 255;

const enc = new TextEncoder();
// A node sees one or two chain ids; the bound only stops growth on odd input.
const PREFIX_CACHE_MAX = 64;
const prefixes = new Map<string, Uint8Array>();

function prefixFor(purpose: SignPurpose, chainId: string): Uint8Array {
  const cacheKey = `${purpose}\u0000${chainId}`;
  const hit = prefixes.get(cacheKey);
  if (hit !== undefined) return hit;
  // Runtime checks: TS types do not reach callers that decode purposes from the wire.
  if (!PURPOSES.has(purpose)) throw new CryptoError(CryptoErrorCode.UNKNOWN_PURPOSE);
  const tag = enc.encode(`medchain/v1/${purpose}`);
  const id = enc.encode(chainId);
  if (id.length === 0 || id.length > MAX_CHAIN_ID_BYTES)
    throw new CryptoError(CryptoErrorCode.CHAIN_ID_LENGTH, { length: id.length, max: MAX_CHAIN_ID_BYTES });
  const prefix = new Uint8Array(tag.length + 2 + id.length);
  prefix.set(tag);
  prefix[tag.length] = 0x00;
  prefix[tag.length + 1] = id.length;
  prefix.set(id, tag.length + 2);
  if (prefixes.size >= PREFIX_CACHE_MAX) prefixes.clear();
  prefixes.set(cacheKey, prefix);
  return prefix;
}

/** The bytes to sign or verify for `payload` under `purpose` on `chainId`. */
export function signingMessage(purpose: SignPurpose, chainId: string, payload: Uint8Array): Uint8Array {
  const prefix = prefixFor(purpose, chainId);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix);
  out.set(payload, prefix.length);
  return out;
}
