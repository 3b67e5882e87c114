import { MedchainError } from '../src/errors.js';

export const P2pErrorCode = {
  /** The peer key file exists but does not hold a 32-byte hex seed. */
  BAD_PEER_KEY: 'P2P_BAD_PEER_KEY',
  BUNDLE_TOO_LARGE: 'P2P_BUNDLE_TOO_LARGE',
  BUNDLE_TOO_MANY_ITEMS: 'P2P_BUNDLE_TOO_MANY_ITEMS',
  BUNDLE_ITEM_TOO_LARGE: 'P2P_BUNDLE_ITEM_TOO_LARGE',
  BUNDLE_MALFORMED: 'P2P_BUNDLE_MALFORMED',
  GOSSIP_TOO_LARGE: 'P2P_GOSSIP_TOO_LARGE',
  STATUS_MALFORMED: 'P2P_STATUS_MALFORMED',
  STATUS_MISMATCH: 'P2P_STATUS_MISMATCH',
  REQUEST_TOO_LARGE: 'P2P_REQUEST_TOO_LARGE',
  RESPONSE_TOO_LARGE: 'P2P_RESPONSE_TOO_LARGE',
  REQUEST_TIMEOUT: 'P2P_REQUEST_TIMEOUT',
  /** More requests in flight to one peer than `maxInFlight`. */
  BUSY: 'P2P_BUSY',
  STREAM_CLOSED: 'P2P_STREAM_CLOSED',
  /** The remote handler failed; `meta.remoteCode` holds its code. */
  REMOTE_ERROR: 'P2P_REMOTE_ERROR',
  PROTOCOL_VIOLATION: 'P2P_PROTOCOL_VIOLATION',
  CLOSED: 'P2P_CLOSED',
} as const;
export type P2pErrorCode = (typeof P2pErrorCode)[keyof typeof P2pErrorCode];

export class P2pError extends MedchainError<P2pErrorCode> {}
