import type { DomainNamespace, ErrorTable } from '../error-codes.js';

/**
 * Stable numbers of the node API's MedchainError codes, per namespace (ranges in
 * ../error-codes.ts). Append only: a published number never changes meaning. The string code is
 * always in `error.data.code` and is the `error.message`; neither carries PHI.
 */
export const NODE_ERROR_CODES = {
  chain: { CHAIN_BLOCK_NOT_FOUND: 1001, CHAIN_BLOCK_NOT_RETAINED: 1002, CHAIN_VALIDATORS_NOT_RETAINED: 1003 },
  tx: {
    // 2001..2004: CODEC_* (rpc/error-codes.ts)
    TX_OVERSIZE: 2010,
    TX_MALFORMED: 2011,
    TX_WRONG_CHAIN: 2012,
    TX_UNKNOWN_KIND: 2013,
    TX_BAD_BODY: 2014,
    TX_EXPIRED: 2015,
    TX_EXPIRY_TOO_FAR: 2016,
    TX_BAD_SIGNATURE: 2017,
    TX_DUPLICATE: 2018,
    TX_MEMPOOL_FULL: 2019,
    TX_SENDER_LIMIT: 2020,
    TX_BAD_SENDER: 2021,
    TX_NODE_BUSY: 2022,
    TX_NOT_FOUND: 2030,
    TX_WAIT_TIMEOUT: 2031,
  },
  consent: { CONSENT_NOT_FOUND: 4001 },
  audit: { AUDIT_BAD_CURSOR: 6001, AUDIT_BAD_RANGE: 6002, AUDIT_NO_SUBJECT: 6003 },
  identity: { IDENTITY_NOT_FOUND: 8001, CREDENTIAL_NOT_FOUND: 8002 },
  record: { RECORD_NOT_FOUND: 9001 },
} as const satisfies { [N in DomainNamespace]?: Readonly<Record<string, number>> };

/** String codes thrown by the domain methods (rpc/api/identity.ts ... audit.ts). */
export const ApiErrorCode = {
  IDENTITY_NOT_FOUND: 'IDENTITY_NOT_FOUND',
  CREDENTIAL_NOT_FOUND: 'CREDENTIAL_NOT_FOUND',
  RECORD_NOT_FOUND: 'RECORD_NOT_FOUND',
  CONSENT_NOT_FOUND: 'CONSENT_NOT_FOUND',
  AUDIT_BAD_CURSOR: 'AUDIT_BAD_CURSOR',
  AUDIT_BAD_RANGE: 'AUDIT_BAD_RANGE',
  AUDIT_NO_SUBJECT: 'AUDIT_NO_SUBJECT',
} as const;

/** Adds the node API's numbers to a server's table (idempotent). */
export function defineNodeErrors(table: ErrorTable): ErrorTable {
  for (const [ns, codes] of Object.entries(NODE_ERROR_CODES)) table.define(ns as DomainNamespace, codes);
  return table;
}
