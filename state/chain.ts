import {
  type Block,
  BlockError,
  BlockErrorCode,
  decodeBlock,
  encodeBlock,
  type Header,
  headerHash,
} from '../src/chain/block.js';
import { encodeGenesis, type Genesis, genesisHash } from '../src/chain/genesis.js';
import type { Receipt } from '../src/chain/receipt.js';
import type { Tx } from '../src/chain/tx.js';
import { type Validator, validatorsHash } from '../src/chain/validators.js';
import { equal, readU64be, toHex, utf8 } from '../src/codec/bytes.js';
import { MedchainError } from '../src/errors.js';
import { BlockStore, type Head, headOp } from './block-store.js';
import { type Execution, executeBlock } from './exec/executor.js';
import type { BlockContext, StateMachine } from './exec/machine.js';
import { StateView } from './exec/view.js';
import { NodePruner } from './prune.js';
import { ReplaySet } from './replay-set.js';
import { EMPTY_ROOT } from './smt/node.js';
import { SnapshotErrorCode } from './snapshot/chunk.js';
import { EARLIEST_KEY, SnapshotWriter } from './snapshot/writer.js';
import { defaultStateStoreOptions, StateStore, type StateStoreOptions } from './state-store.js';
import { type BatchOp, type Db, dbKey, openDb, Prefix, writeBatch } from './store/db.js';
import { hasValidatorSet, readValidatorSet, validatorSetOp } from './validator-history.js';

export const ChainErrorCode = {
  GENESIS_MISMATCH: 'CHAIN_GENESIS_MISMATCH',
  NOT_NEXT: 'CHAIN_NOT_NEXT',
} as const;

/** Derived data written with each block (query indexes); never part of consensus. */
export type Indexer = (
  ops: BatchOp[],
  height: number,
  time: number,
  txs: readonly Tx[],
  receipts: readonly Receipt[],
  /** Committed state before this block. */
  read: (key: Uint8Array) => Uint8Array | undefined,
) => void;

export interface ChainStateOptions {
  dir: string;
  genesis: Genesis;
  machine: StateMachine;
  indexer?: Indexer;
  store?: StateStoreOptions;
  /** fsync each block's batch (default true): a committed block survives power loss, not only a kill. */
  syncWrites?: boolean;
}

const GENESIS_KEY = dbKey(Prefix.META, utf8('genesis'));

/**
 * The node's committed chain on one LevelDB: state, blocks, replay set and
 * indexes, advanced only by `commit`, one atomic batch per block. A crash at
 * any point leaves the previous block's head, root and indexes intact.
 */
export class ChainState {
  readonly blocks: BlockStore;
  readonly genesisHash: Uint8Array;
  private _head: Head;
  private _validators: Validator[];
  private _nextValidators: Validator[];
  /** Block commits and pruning deletes run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pruner: NodePruner;
  /** The lowest height whose block is stored: 1, or the height a snapshot join started from. */
  readonly earliestHeight: number;

  private constructor(
    readonly db: Db,
    readonly store: StateStore,
    private readonly replay: ReplaySet,
    readonly genesis: Genesis,
    private readonly machine: StateMachine,
    private readonly indexer: Indexer | undefined,
    head: Head,
    private readonly syncWrites: boolean,
  ) {
    this.blocks = new BlockStore(db);
    this.pruner = new NodePruner(db, (fn) => this.exclusive(fn));
    this.genesisHash = genesisHash(genesis);
    this._head = head;
    const view = new StateView(store);
    this._nextValidators = machine.validators(view);
    this._validators = this._nextValidators;
    const earliest = db.getSync(EARLIEST_KEY);
    this.earliestHeight = earliest === undefined ? 1 : readU64be(earliest);
  }

  static async open(opts: ChainStateOptions): Promise<ChainState> {
    const db = await openDb(opts.dir);
    try {
      const gBytes = encodeGenesis(opts.genesis);
      const stored = db.getSync(GENESIS_KEY);
      if (stored !== undefined && !equal(stored, gBytes)) throw new MedchainError(ChainErrorCode.GENESIS_MISMATCH);
      // A snapshot join that stopped half way left no usable state: it must run again (src/node/snapshot-join.ts).
      if (SnapshotWriter.isPartial(db)) throw new MedchainError(SnapshotErrorCode.PARTIAL);
      const blocks = new BlockStore(db);
      let head = blocks.readHead();
      if (head === null) head = await initGenesis(db, opts, gBytes);
      const store = new StateStore(db, head.stateRoot, opts.store ?? defaultStateStoreOptions);
      const replay = await ReplaySet.load(db, head.time);
      const chain = new ChainState(
        db,
        store,
        replay,
        opts.genesis,
        opts.machine,
        opts.indexer,
        head,
        opts.syncWrites ?? true,
      );
      // Genesis, a snapshot join, or a store from before the history was kept: the set in force now.
      const next = chain._nextValidators;
      if (!hasValidatorSet(db, validatorsHash(next))) await db.batch([validatorSetOp(next)], { sync: true });
      return chain;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  get head(): Head {
    return this._head;
  }
  get chainId(): string {
    return this.genesis.chainId;
  }
  /** The set that signs the next block (height head+1). */
  get validators(): Validator[] {
    return this._nextValidators;
  }
  /** The set that signed the head block. */
  get headValidators(): Validator[] {
    return this._validators;
  }

  /**
   * The validator set whose hash is `hash` (a header's validatorsHash: the set that signed that
   * block), or undefined when this node never held it.
   */
  validatorSetByHash(hash: Uint8Array): Promise<Validator[] | undefined> {
    return readValidatorSet(this.db, hash);
  }

  /** True if the tx was included and has not expired: it may never be included again. */
  isIncluded(hash: Uint8Array): boolean {
    return this.replay.has(hash);
  }

  /**
   * Why `tx` may not go in a block at `time`, or null: replay and expiry rules
   * (block-validity rules, checked by proposer and validators alike).
   */
  inclusionError(tx: Tx, time: number): string | null {
    if (tx.chainId !== this.chainId) return 'TX_WRONG_CHAIN';
    if (tx.expiresAt < time) return 'TX_EXPIRED';
    if (tx.expiresAt > time + this.genesis.params.maxTxLifetimeMs) return 'TX_EXPIRY_TOO_FAR';
    if (this.replay.has(tx.hash)) return 'TX_DUPLICATE';
    return null;
  }

  /**
   * Executes `txs` as block head+1 at `time`; throws BlockError if a tx may not be included
   * (with `drop`, the builder's mode, txs failing the sender rule are left out instead).
   */
  execute(time: number, proposer: Uint8Array, txs: readonly Tx[], opts: { drop?: boolean } = {}): Execution {
    const seen = new Set<string>();
    for (let index = 0; index < txs.length; index++) {
      const tx = txs[index] as Tx;
      const k = toHex(tx.hash);
      const e = this.inclusionError(tx, time);
      if (e !== null) throw new BlockError(BlockErrorCode.BAD_TX, { reason: e, index, tx: k });
      if (seen.has(k)) throw new BlockError(BlockErrorCode.BAD_TX, { reason: 'TX_DUPLICATE', index, tx: k });
      seen.add(k);
    }
    if (txs.length > this.genesis.params.maxBlockTxs)
      throw new BlockError(BlockErrorCode.TOO_MANY_TXS, { count: txs.length });
    return executeBlock(this.machine, this.store, this.blockContext(time, proposer), txs, opts);
  }

  /** The header for an execution as block head+1. */
  header(time: number, proposer: Uint8Array, exec: Execution): Header {
    return {
      chainId: this.chainId,
      height: this._head.height + 1,
      time,
      prevHash: this._head.hash,
      txRoot: exec.txRoot,
      eventsRoot: exec.eventsRoot,
      stateRoot: exec.stateRoot,
      validatorsHash: validatorsHash(this._nextValidators),
      nextValidatorsHash: exec.nextValidatorsHash,
      proposer,
    };
  }

  /** Checks a proposed/synced header against our own execution of its txs. */
  checkHeader(header: Header, exec: Execution): void {
    const expected = this.header(header.time, header.proposer, exec);
    if (header.chainId !== this.chainId) throw new BlockError(BlockErrorCode.WRONG_CHAIN);
    if (header.height !== expected.height) throw new BlockError(BlockErrorCode.WRONG_HEIGHT, { height: header.height });
    if (!equal(header.prevHash, expected.prevHash)) throw new BlockError(BlockErrorCode.WRONG_PREV_HASH);
    if (header.time <= this._head.time) throw new BlockError(BlockErrorCode.TIME_NOT_MONOTONIC);
    for (const f of ['txRoot', 'eventsRoot', 'stateRoot', 'validatorsHash', 'nextValidatorsHash'] as const)
      if (!equal(header[f], expected[f])) throw new BlockError(BlockErrorCode.ROOT_MISMATCH, { field: f });
  }

  /** Persists block head+1 with its certificate in one atomic batch, then advances memory. */
  commit(block: Block, exec: Execution, cert: Uint8Array, blockBytes = encodeBlock(block)): Promise<void> {
    return this.exclusive(() => this.commitNow(block, exec, cert, blockBytes));
  }

  /**
   * Deletes tree nodes no longer reachable from the state roots of the last
   * `keepBlocks` blocks (older heights lose their state proofs); runs beside commits.
   */
  async prune(keepBlocks: number): Promise<{ live: number; deleted: number }> {
    return this.pruner.sweep(async () => {
      // Gathered after the sweep starts tracking commits (see NodePruner.sweep).
      const head = this._head.height;
      const roots: Uint8Array[] = [this._head.stateRoot];
      for (let h = Math.max(1, head - keepBlocks + 1); h < head; h++) {
        const bytes = await this.blocks.getBlock(h);
        if (bytes !== undefined) roots.push(decodeBlock(bytes).header.stateRoot);
      }
      return roots;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async commitNow(block: Block, exec: Execution, cert: Uint8Array, blockBytes: Uint8Array): Promise<void> {
    const h = block.header;
    if (h.height !== this._head.height + 1) throw new MedchainError(ChainErrorCode.NOT_NEXT, { height: h.height });
    const hash = headerHash(h);
    const ops: BatchOp[] = [];
    this.store.writeOps(exec.staged, ops);
    const head: Head = { height: h.height, hash, time: h.time, stateRoot: exec.stateRoot };
    this.blocks.commitOps(
      ops,
      {
        height: h.height,
        hash,
        bytes: blockBytes,
        cert,
        receipts: exec.encodedReceipts,
        txHashes: exec.txs.map((t) => t.hash),
      },
      head,
    );
    this.replay.commitOps(ops, exec.txs, h.time);
    this.indexer?.(ops, h.height, h.time, exec.txs, exec.receipts, (k) => this.store.get(k));
    if (!equal(exec.nextValidatorsHash, h.validatorsHash)) ops.push(validatorSetOp(exec.nextValidators));
    await writeBatch(this.db, ops, this.syncWrites);
    this.pruner.noteWritten(exec.staged.smt.writes.map(([h]) => h));
    this.store.advance(exec.staged);
    this.replay.advance(exec.txs, h.time);
    this._head = head;
    this._validators = this._nextValidators;
    this._nextValidators = exec.nextValidators;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private blockContext(time: number, proposer: Uint8Array): BlockContext {
    return { chainId: this.chainId, height: this._head.height + 1, time, proposer, params: this.genesis.params };
  }
}

/** Writes genesis state and head (height 0, hash = genesis hash) in one batch. */
async function initGenesis(db: Db, opts: ChainStateOptions, gBytes: Uint8Array): Promise<Head> {
  const store = new StateStore(db, EMPTY_ROOT, opts.store ?? defaultStateStoreOptions);
  const view = new StateView(store);
  const g = opts.genesis;
  const ctx = {
    chainId: g.chainId,
    height: 0,
    time: g.time,
    proposer: new Uint8Array(32),
    params: g.params,
    state: view,
    emit: () => {},
  };
  opts.machine.initGenesis(ctx, g);
  const staged = store.stage(view.changes());
  const ops: BatchOp[] = [{ type: 'put', key: GENESIS_KEY, value: gBytes }];
  store.writeOps(staged, ops);
  const head: Head = { height: 0, hash: genesisHash(g), time: g.time, stateRoot: staged.root };
  ops.push(headOp(head));
  await db.batch(ops, { sync: true });
  return head;
}
