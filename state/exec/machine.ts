import type { ChainParams, Genesis } from '../../src/chain/genesis.js';
import type { ChainEvent } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import type { Validator } from '../../src/chain/validators.js';
import { MedchainError } from '../../src/errors.js';
import type { StateReader, StateView } from './view.js';

/** What every transaction of a block sees besides state: block time is the only clock. */
export interface BlockContext {
  chainId: string;
  height: number;
  time: number;
  proposer: Uint8Array;
  params: ChainParams;
}

export interface ExecContext extends BlockContext {
  readonly state: StateView;
  /** The transaction being executed (undefined in block hooks). */
  readonly tx?: Tx;
  emit(event: ChainEvent): void;
}

/**
 * Thrown by a handler when a transaction is valid in form but not allowed:
 * it is included as FAILED with this code, and its state changes are rolled
 * back (its events too, except those it was told to keep: none).
 */
export class TxFailure extends MedchainError<string> {}

/** A handler's verdict for an included transaction that did not throw. */
export type TxOutcome = { status: 'ok' } | { status: 'denied'; code: string };

export interface TxKindHandler<B = unknown> {
  readonly kind: number;
  readonly name: string;
  /** Stateless body validation from the raw decoded CBOR; throws TxError(BAD_BODY). */
  decodeBody(raw: unknown, tx: Tx): B;
  /** Stateful rules; may read and write state and emit events. */
  apply(ctx: ExecContext, tx: Tx, body: B): TxOutcome;
}

/** The application a chain runs: its transaction kinds, genesis and block hooks. */
export interface StateMachine {
  kind(kind: number): TxKindHandler | undefined;
  /** Writes the initial state from genesis. */
  initGenesis(ctx: ExecContext, genesis: Genesis): void;
  /** Runs after the block's transactions (time-driven effects: governance activation, overdue reviews). */
  endBlock?(ctx: ExecContext): void;
  /** The validator set that signs the next block, read from state. */
  validators(state: StateView): Validator[];
  /**
   * Who may put `tx` (with its decoded body) in a block, judged on `state`: null if it may,
   * else the reason. A block carrying a tx that fails it is invalid; the builder drops such txs
   * and the mempool refuses them at admission (against committed state).
   */
  senderError?(state: StateReader, chainId: string, tx: Tx, body: unknown): string | null;
  /** A hint: state keys `tx` will likely read, so the node can prefetch them in one batch. */
  readKeys?(tx: Tx, out: Uint8Array[]): void;
}
