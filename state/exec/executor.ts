import { BlockError, BlockErrorCode } from '../../src/chain/block.js';
import { merkleRoot } from '../../src/chain/merkle.js';
import { type ChainEvent, encodeReceipt, type Receipt, TxStatus } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import { type Validator, validatorsHash } from '../../src/chain/validators.js';
import { toHex } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';
import type { SmtUpdate } from '../smt/tree.js';
import { type BlockContext, type ExecContext, type StateMachine, TxFailure } from './machine.js';
import { type StateChange, type StateReader, StateView } from './view.js';

/** A block's staged state: computed once, persisted with the block, then made current. */
export interface StagedState {
  readonly changes: readonly StateChange[];
  readonly keyHashes: readonly Uint8Array[];
  readonly smt: SmtUpdate;
  readonly root: Uint8Array;
}

/** What execution needs of the committed state (state/state-store.ts implements it). */
export interface ExecStore extends StateReader {
  stage(changes: readonly StateChange[]): StagedState;
}

/** Everything a block's execution produced, before anything is written. */
export interface Execution {
  /** The txs the block carries (the given ones, less those dropped in `drop` mode). */
  readonly txs: readonly Tx[];
  /** In `drop` mode: txs left out because they failed the sender rule, with the reason. */
  readonly dropped: readonly { tx: Tx; code: string }[];
  readonly receipts: Receipt[];
  readonly encodedReceipts: Uint8Array[];
  readonly txRoot: Uint8Array;
  readonly eventsRoot: Uint8Array;
  readonly staged: StagedState;
  readonly stateRoot: Uint8Array;
  readonly nextValidators: Validator[];
  readonly nextValidatorsHash: Uint8Array;
}

const ZERO_HASH = new Uint8Array(32);

/**
 * Executes transactions in order against committed state, without writing:
 * a failed transaction (TxFailure) keeps only its receipt; any other error is
 * a fault of this node, not of the transaction, and propagates.
 * Signatures and replay rules are checked before this (admission / proposal checks).
 * A tx that fails the machine's sender rule makes the block invalid (BlockError),
 * or, with `drop` (the proposer building its block), is left out of it.
 */
export function executeBlock(
  machine: StateMachine,
  store: ExecStore,
  bctx: BlockContext,
  given: readonly Tx[],
  opts: { drop?: boolean } = {},
): Execution {
  const view = new StateView(store);
  const txs: Tx[] = [];
  const dropped: { tx: Tx; code: string }[] = [];
  const receipts: Receipt[] = [];
  let events: ChainEvent[] = [];
  const emit = (e: ChainEvent): void => {
    events.push(e);
  };
  for (const tx of given) {
    const handler = machine.kind(tx.kind);
    if (handler === undefined) throw new BlockError(BlockErrorCode.BAD_TX, { kind: tx.kind });
    let body: unknown;
    try {
      body = handler.decodeBody(tx.body, tx);
    } catch (err) {
      // Admission rejects these: a block that carries one is invalid, not a failed tx.
      throw new BlockError(BlockErrorCode.BAD_TX, { reason: isCoded(err) ? err.code : 'TX_BAD_BODY' });
    }
    const refused = machine.senderError?.(view, bctx.chainId, tx, body) ?? null;
    if (refused !== null) {
      if (opts.drop !== true)
        throw new BlockError(BlockErrorCode.BAD_TX, { reason: refused, index: txs.length, tx: toHex(tx.hash) });
      dropped.push({ tx, code: refused });
      continue;
    }
    txs.push(tx);
    events = [];
    view.beginTx();
    const ctx: ExecContext = { ...bctx, state: view, tx, emit };
    try {
      const outcome = handler.apply(ctx, tx, body);
      view.commitTx();
      receipts.push(
        outcome.status === 'ok'
          ? { txHash: tx.hash, status: TxStatus.OK, code: '', events }
          : { txHash: tx.hash, status: TxStatus.DENIED, code: outcome.code, events },
      );
    } catch (err) {
      if (!(err instanceof TxFailure)) throw err;
      view.rollbackTx();
      receipts.push({ txHash: tx.hash, status: TxStatus.FAILED, code: err.code, events: [] });
    }
  }
  if (machine.endBlock !== undefined) {
    events = [];
    machine.endBlock({ ...bctx, state: view, emit });
    if (events.length > 0) receipts.push({ txHash: ZERO_HASH, status: TxStatus.OK, code: '', events });
  }
  const encodedReceipts = receipts.map(encodeReceipt);
  const staged = store.stage(view.changes());
  const nextValidators = machine.validators(view);
  return {
    txs,
    dropped,
    receipts,
    encodedReceipts,
    txRoot: merkleRoot(txs.map((t) => t.bytes)),
    eventsRoot: merkleRoot(encodedReceipts),
    staged,
    stateRoot: staged.root,
    nextValidators,
    nextValidatorsHash: validatorsHash(nextValidators),
  };
}
