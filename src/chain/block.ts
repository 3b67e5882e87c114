import { asArray, asBytes, asString, asTuple, asUint, CodecError, decodeCanonical, encode } from '../codec/cbor.js';
import { sha256 } from '../crypto/hash.js';
import { MedchainError } from '../errors.js';

export const BlockErrorCode = {
  MALFORMED: 'BLOCK_MALFORMED',
  WRONG_CHAIN: 'BLOCK_WRONG_CHAIN',
  WRONG_HEIGHT: 'BLOCK_WRONG_HEIGHT',
  WRONG_PREV_HASH: 'BLOCK_WRONG_PREV_HASH',
  TIME_NOT_MONOTONIC: 'BLOCK_TIME_NOT_MONOTONIC',
  TIME_TOO_FAR: 'BLOCK_TIME_TOO_FAR',
  TOO_MANY_TXS: 'BLOCK_TOO_MANY_TXS',
  BAD_TX: 'BLOCK_BAD_TX',
  ROOT_MISMATCH: 'BLOCK_ROOT_MISMATCH',
  WRONG_PROPOSER: 'BLOCK_WRONG_PROPOSER',
  WRONG_VALIDATORS: 'BLOCK_WRONG_VALIDATORS',
} as const;
export type BlockErrorCode = (typeof BlockErrorCode)[keyof typeof BlockErrorCode];
export class BlockError extends MedchainError<BlockErrorCode> {}

/** Header: a fixed-position tuple; its sha256 is the block hash. */
export interface Header {
  chainId: string;
  height: number;
  /** Block time, ms. The state machine's only clock. */
  time: number;
  prevHash: Uint8Array;
  /** RFC 6962 tree over the signed tx bytes. */
  txRoot: Uint8Array;
  /** RFC 6962 tree over the encoded receipts (with their events). */
  eventsRoot: Uint8Array;
  /** Sparse Merkle root of state after this block. */
  stateRoot: Uint8Array;
  validatorsHash: Uint8Array;
  nextValidatorsHash: Uint8Array;
  /** The proposing validator's id. */
  proposer: Uint8Array;
}

export interface Block {
  header: Header;
  /** Signed transaction bytes, in execution order. */
  txs: Uint8Array[];
}

export const BLOCK_MAX_BYTES = 32 * 1024 * 1024;
export const BLOCK_MAX_TXS = 20_000;

const headerTuple = (h: Header): unknown[] => [
  h.chainId,
  h.height,
  h.time,
  h.prevHash,
  h.txRoot,
  h.eventsRoot,
  h.stateRoot,
  h.validatorsHash,
  h.nextValidatorsHash,
  h.proposer,
];

export const encodeHeader = (h: Header): Uint8Array => encode(headerTuple(h));
export const headerHash = (h: Header): Uint8Array => sha256(encodeHeader(h));
export const encodeBlock = (b: Block): Uint8Array => encode([headerTuple(b.header), b.txs]);

function parseHeader(v: unknown): Header {
  const [chainId, height, time, prevHash, txRoot, eventsRoot, stateRoot, vh, nvh, proposer] = asTuple(v, 10, 'header');
  return {
    chainId: asString(chainId, 'header.chainId', 64),
    height: asUint(height, 'header.height'),
    time: asUint(time, 'header.time'),
    prevHash: asBytes(prevHash, 'header.prevHash', 32),
    txRoot: asBytes(txRoot, 'header.txRoot', 32),
    eventsRoot: asBytes(eventsRoot, 'header.eventsRoot', 32),
    stateRoot: asBytes(stateRoot, 'header.stateRoot', 32),
    validatorsHash: asBytes(vh, 'header.validatorsHash', 32),
    nextValidatorsHash: asBytes(nvh, 'header.nextValidatorsHash', 32),
    proposer: asBytes(proposer, 'header.proposer', 32),
  };
}

function codecToBlockError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodecError) throw new BlockError(BlockErrorCode.MALFORMED, { reason: err.code, ...err.meta });
    throw err;
  }
}

export function decodeHeader(bytes: Uint8Array): Header {
  return codecToBlockError(() => parseHeader(decodeCanonical(bytes, 1024)));
}

/** Bounded canonical decode of a block from untrusted bytes (txs stay as bytes). */
export function decodeBlock(bytes: Uint8Array, maxBytes = BLOCK_MAX_BYTES): Block {
  return codecToBlockError(() => {
    const [h, txs] = asTuple(decodeCanonical(bytes, maxBytes), 2, 'block');
    return {
      header: parseHeader(h),
      txs: asArray(txs, 'block.txs', BLOCK_MAX_TXS).map((t) => asBytes(t, 'block.tx')),
    };
  });
}
