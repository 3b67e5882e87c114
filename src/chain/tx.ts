import { asBytes, asString, asTuple, asUint, CodecError, decodeCanonical, encode } from '../codec/cbor.js';
import { sha256 } from '../crypto/hash.js';
import { MedchainError } from '../errors.js';

export const TxErrorCode = {
  OVERSIZE: 'TX_OVERSIZE',
  MALFORMED: 'TX_MALFORMED',
  WRONG_CHAIN: 'TX_WRONG_CHAIN',
  UNKNOWN_KIND: 'TX_UNKNOWN_KIND',
  BAD_BODY: 'TX_BAD_BODY',
  EXPIRED: 'TX_EXPIRED',
  EXPIRY_TOO_FAR: 'TX_EXPIRY_TOO_FAR',
  BAD_SIGNATURE: 'TX_BAD_SIGNATURE',
  DUPLICATE: 'TX_DUPLICATE',
  MEMPOOL_FULL: 'TX_MEMPOOL_FULL',
  SENDER_LIMIT: 'TX_SENDER_LIMIT',
  /** The sender rule refused it (meta.reason: UNKNOWN_IDENTITY, KEY_MISMATCH, SUSPENDED, BAD_PROOF, ...). */
  BAD_SENDER: 'TX_BAD_SENDER',
  /** The node's signature checks are backed up: nothing was judged; retry later (not a fact about the tx). */
  NODE_BUSY: 'TX_NODE_BUSY',
} as const;
export type TxErrorCode = (typeof TxErrorCode)[keyof typeof TxErrorCode];
export class TxError extends MedchainError<TxErrorCode> {}

/** Hard ceiling for one signed transaction; kinds set tighter limits on their bodies. */
export const TX_MAX_BYTES = 8 * 1024;
export const NONCE_MAX_BYTES = 16;

/**
 * The signed part of a transaction, a fixed-position CBOR tuple:
 *   [chainId, kind, signer, pubkey, expiresAt, nonce, body]
 * `signer` is the acting identity's id, `pubkey` the key that signs (checked
 * against the identity's current key when the transaction executes), so the
 * signature can be verified before any state is read. Replay protection is an
 * expiry plus the chain's set of recently included hashes, not a per-sender
 * nonce: one hospital's many terminals never wait on each other. `nonce` only
 * lets a client make two otherwise identical transactions distinct.
 */
export interface TxFields {
  chainId: string;
  kind: number;
  signer: Uint8Array;
  pubkey: Uint8Array;
  /** Last block time (ms) at which the transaction may be included. */
  expiresAt: number;
  nonce: Uint8Array;
  body: unknown;
}

export interface Tx extends TxFields {
  /** Canonical payload bytes: what is signed (under the TX domain) and hashed. */
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** sha256(payload): the id. Signatures are not hashed, so the id is not malleable. */
  readonly hash: Uint8Array;
  /** Full wire encoding: CBOR [payload, signature]. */
  readonly bytes: Uint8Array;
}

export function encodeTxPayload(f: TxFields): Uint8Array {
  return encode([f.chainId, f.kind, f.signer, f.pubkey, f.expiresAt, f.nonce, f.body]);
}

/** Assembles a transaction from fields and a signature over `signingMessage(TX, chainId, payload)`. */
export function assembleTx(f: TxFields, payload: Uint8Array, signature: Uint8Array): Tx {
  const bytes = encode([payload, signature]);
  return { ...f, payload, signature, hash: sha256(payload), bytes };
}

/**
 * Bounded, canonical decode of a signed transaction from untrusted bytes:
 * size limit, strict decode of the outer tuple, then of the payload, then
 * field shapes. The body stays raw here; its kind validates it.
 */
export function decodeTx(bytes: Uint8Array): Tx {
  if (bytes.length > TX_MAX_BYTES) throw new TxError(TxErrorCode.OVERSIZE, { size: bytes.length, max: TX_MAX_BYTES });
  try {
    const [payload, signature] = asTuple(decodeCanonical(bytes, TX_MAX_BYTES), 2, 'tx');
    const p = asBytes(payload, 'tx.payload');
    const s = asBytes(signature, 'tx.signature', 64);
    const [chainId, kind, signer, pubkey, expiresAt, nonce, body] = asTuple(
      decodeCanonical(p, TX_MAX_BYTES),
      7,
      'tx.fields',
    );
    const f: TxFields = {
      chainId: asString(chainId, 'tx.chainId', 64),
      kind: asUint(kind, 'tx.kind', 0xffff),
      signer: asBytes(signer, 'tx.signer', 32),
      pubkey: asBytes(pubkey, 'tx.pubkey', 32),
      expiresAt: asUint(expiresAt, 'tx.expiresAt'),
      nonce: asBytes(nonce, 'tx.nonce', undefined, NONCE_MAX_BYTES),
      body,
    };
    return { ...f, payload: p, signature: s, hash: sha256(p), bytes };
  } catch (err) {
    if (err instanceof CodecError) throw new TxError(TxErrorCode.MALFORMED, { reason: err.code, ...err.meta });
    throw err;
  }
}
