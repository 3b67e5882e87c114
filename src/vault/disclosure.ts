/**
 * The disclosure invariant, as one pure rule: the vault releases a ciphertext or a wrapped key only
 * on the chain's own final receipt of the requester's ACCESS tx for exactly that record, status ok,
 * decided by the state machine under the including block's time, and only while that block is
 * recent against the vault's clock (a stalled chain or a lagging node means no data).
 *
 * "Exactly that record": the vault accepts only ACCESS txs that name the requested record and no
 * other (parseAccessTx), and the receipt's `access` event must say granted for that one record. An
 * ACCESS naming several records is all-or-nothing on chain, but serving one record on a receipt
 * that lists others would let a disclosure hide among entries the patient reads as one access.
 */

import { VaultError, VaultErrorCode } from '../client/vault/protocol.js';
import { to0x } from '../codec/bytes.js';
import type { FinalReceipt } from './chain.js';

export interface DisclosureQuery {
  grantee: Uint8Array;
  patient: Uint8Array;
  record: Uint8Array;
  purpose: string;
}

export interface Disclosure {
  emergency: boolean;
  /** The break-glass session the chain granted under (null: consent or owner). */
  session: Uint8Array | null;
  /** The including block's time. */
  time: number;
}

export interface Freshness {
  /** The vault's clock (ms). */
  now: number;
  /** The including block may be at most this old against `now`. */
  maxChainLagMs: number;
  /** ... and at most this far in the future (validators' clocks ahead of the vault's). */
  maxSkewMs: number;
}

const hexEq = (v: unknown, b: Uint8Array): boolean => typeof v === 'string' && v.toLowerCase() === to0x(b);

/** Throws DENIED (the chain's reason), AUDIT_FAILED (a receipt for something else) or CHAIN_STALE. */
export function judgeDisclosure(rc: FinalReceipt, q: DisclosureQuery, f: Freshness): Disclosure {
  // Judged against the vault's clock first: a block too old (stall, lagging node, a tx included
  // long ago) or from the future says nothing about the consent now.
  if (f.now - rc.time > f.maxChainLagMs)
    throw new VaultError(VaultErrorCode.CHAIN_STALE, { lagMs: f.now - rc.time, maxMs: f.maxChainLagMs });
  if (rc.time - f.now > f.maxSkewMs) throw new VaultError(VaultErrorCode.CHAIN_STALE, { aheadMs: rc.time - f.now });
  if (rc.status !== 'ok') throw new VaultError(VaultErrorCode.DENIED, { reason: rc.code === '' ? rc.status : rc.code });
  const access = rc.events.filter((e) => e.type === 'access');
  const a = access[0]?.attrs;
  if (access.length !== 1 || a === undefined)
    throw new VaultError(VaultErrorCode.AUDIT_FAILED, { reason: 'NO_ACCESS_EVENT' });
  if (!hexEq(a.grantee, q.grantee) || !hexEq(a.patient, q.patient) || !hexEq(a.records, q.record))
    throw new VaultError(VaultErrorCode.AUDIT_FAILED, { reason: 'OTHER_ACCESS' });
  if (a.purpose !== q.purpose) throw new VaultError(VaultErrorCode.AUDIT_FAILED, { reason: 'OTHER_PURPOSE' });
  if (a.granted !== true)
    throw new VaultError(VaultErrorCode.DENIED, { reason: typeof a.code === 'string' ? a.code : 'DENIED' });
  const emergency = a.emergency === true;
  const session = emergency && typeof a.session === 'string' ? hexToBytes(a.session) : null;
  if (emergency && session === null) throw new VaultError(VaultErrorCode.AUDIT_FAILED, { reason: 'NO_SESSION' });
  return { emergency, session, time: rc.time };
}

function hexToBytes(s: string): Uint8Array | null {
  if (!/^0x[0-9a-fA-F]{64}$/.test(s)) return null;
  return Uint8Array.from(Buffer.from(s.slice(2), 'hex'));
}
