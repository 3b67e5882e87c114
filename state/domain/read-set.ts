import type { Tx } from '../../src/chain/tx.js';
import { BODY_CODECS } from '../../src/tx/bodies.js';
import { CredentialType, TxKind } from '../../src/tx/kinds.js';
import { mapKey } from '../exec/keys.js';
import { consentKey, credentialKey, delegateKey, emergencyPairKey, identityKey, recordKey } from './keys.js';

/**
 * The state keys a transaction will read on its common path, so a node can
 * warm the state cache for a whole block with one batched read (LevelDB
 * getMany) before executing it, instead of one synchronous miss per key.
 * A hint only: execution reads whatever it needs regardless.
 */
export function readKeys(tx: Tx, out: Uint8Array[]): void {
  out.push(identityKey(tx.signer));
  try {
    switch (tx.kind) {
      case TxKind.ACCESS: {
        const b = BODY_CODECS[TxKind.ACCESS].decode(tx.body);
        out.push(credentialKey(tx.signer, CredentialType.LICENSE, 0), consentKey(b.patient, tx.signer));
        for (const r of b.records) out.push(recordKey(r));
        return;
      }
      case TxKind.GRANT_CONSENT:
      case TxKind.REVOKE_CONSENT: {
        const b = BODY_CODECS[tx.kind].decode(tx.body);
        out.push(identityKey(b.patient), identityKey(b.grantee), consentKey(b.patient, b.grantee));
        out.push(delegateKey(b.patient, tx.signer));
        if ('records' in b) for (const r of b.records) out.push(recordKey(r));
        return;
      }
      case TxKind.ADD_RECORD: {
        const b = BODY_CODECS[TxKind.ADD_RECORD].decode(tx.body);
        out.push(identityKey(b.patient), identityKey(b.custodian), recordKey(b.record));
        out.push(credentialKey(tx.signer, CredentialType.LICENSE, 0), consentKey(b.patient, tx.signer));
        return;
      }
      case TxKind.ERASE_RECORD:
        out.push(recordKey(BODY_CODECS[TxKind.ERASE_RECORD].decode(tx.body).record));
        return;
      case TxKind.ATTEST_DELETION:
        out.push(recordKey(BODY_CODECS[TxKind.ATTEST_DELETION].decode(tx.body).record));
        return;
      case TxKind.BREAK_GLASS: {
        const b = BODY_CODECS[TxKind.BREAK_GLASS].decode(tx.body);
        out.push(identityKey(b.patient), emergencyPairKey(tx.signer, b.patient));
        out.push(
          credentialKey(tx.signer, CredentialType.LICENSE, 0),
          credentialKey(tx.signer, CredentialType.EMERGENCY, 0),
        );
        return;
      }
      default:
        return;
    }
  } catch {
    // a malformed body reads nothing more; admission rejects it anyway
  }
}

/** The distinct read keys of a block, in first-seen order. */
export function blockReadKeys(txs: readonly Tx[]): Uint8Array[] {
  const all: Uint8Array[] = [];
  for (const tx of txs) readKeys(tx, all);
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const k of all) {
    const s = mapKey(k);
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(k);
  }
  return out;
}
