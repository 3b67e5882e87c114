import { assembleTx, encodeTxPayload, type Tx, type TxFields } from '../chain/tx.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { sign, verify } from '../crypto/ed25519.js';

/** The exact bytes a transaction's signature covers: the TX domain, the chain id, the payload. */
export const txSigningMessage = (tx: Pick<Tx, 'chainId' | 'payload'>): Uint8Array =>
  signingMessage(SignPurpose.TX, tx.chainId, tx.payload);

/**
 * Signs and assembles a transaction. `signWith` defaults to @noble/ed25519
 * (runs in browsers); load generators pass `signFast` (node:crypto, same bytes).
 */
export function signTx(
  f: TxFields,
  secretKey: Uint8Array,
  signWith: (msg: Uint8Array, sk: Uint8Array) => Uint8Array = sign,
): Tx {
  const payload = encodeTxPayload(f);
  return assembleTx(f, payload, signWith(signingMessage(SignPurpose.TX, f.chainId, payload), secretKey));
}

export const verifyTxSignature = (tx: Tx): boolean => verify(tx.signature, txSigningMessage(tx), tx.pubkey);
