import {
  BLOCK_MAX_BYTES,
  type Block,
  BlockError,
  BlockErrorCode,
  decodeBlock,
  encodeBlock,
  headerHash,
} from '../src/chain/block.js';
import { checkBlockBody } from '../src/chain/block-body.js';
import { type Tx, TxError, TxErrorCode } from '../src/chain/tx.js';
import type { Validator } from '../src/chain/validators.js';
import { equal, toHex } from '../src/codec/bytes.js';
import type { VerifyItem } from '../src/crypto/pool/index.js';
import { isCoded } from '../src/errors.js';
import { txSigningMessage } from '../src/tx/sign.js';
import type { ChainState } from '../state/chain.js';
import type { Execution } from '../state/exec/executor.js';
import type { TxKindHandler } from '../state/exec/machine.js';
import { BlockBudget, defaultBlockBudgetOptions } from './block-budget.js';
import type { CommitResult, Executor } from './engine/driver.js';
import { encodeCommit } from './engine/messages.js';
import { defaultConsensusOptions } from './engine/options.js';
import type { CommitCertificate } from './engine/types.js';
import { ValidatorSet } from './engine/validator-set.js';
import type { Mempool } from './mempool.js';
import type { VerifiedTxs } from './verified-txs.js';

export interface ChainExecutorDeps {
  chain: ChainState;
  mempool: Mempool;
  verifyMany(items: VerifyItem[]): Promise<boolean[]>;
  /** This validator's organization id (the header's proposer) at the head, if it validates there. */
  proposerId?(): Uint8Array | undefined;
  /** Largest encoded block this node proposes (what a proposal can carry over gossip); BLOCK_MAX_BYTES at most. */
  maxBlockBytes?: number;
  /**
   * Learns this node's execution speed and sizes its proposals to it.
   * Default: a quarter of the default propose timeout per block execution.
   */
  budget?: BlockBudget;
  /** Signatures verified in proposals' bodies, shared with admission (see VerifiedTxs). */
  verified?: VerifiedTxs;
  /** Tx kinds, so the body check also refuses bodies no kind decodes. */
  kind?(kind: number): TxKindHandler | undefined;
  /** After a block is durably committed: RPC subscribers, custodians, metrics. */
  onCommitted?(c: CommittedBlock): void;
  /** `meta`: the error's PHI-free facts (which tx, which rule), so a disagreement can be traced. */
  onInvalidBlock?(height: number, reason: string, meta?: Readonly<Record<string, unknown>>): void;
}

/** A block after it is durable, for subscribers (RPC, custodians, metrics). */
export interface CommittedBlock {
  block: Block;
  exec: Execution;
  cert: CommitCertificate;
}

interface Prepared {
  block: Block;
  bytes: Uint8Array;
  exec: Execution;
}

/** Header and array heads of an encoded block, with room to spare. */
const BLOCK_OVERHEAD = 1024;

/** Bounded: a height sees at most a few proposals (one per round). */
const MAX_PREPARED = 16;

const equalBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && (a === b || equal(a, b));

export const toValidatorSet = (vs: readonly Validator[]): ValidatorSet => new ValidatorSet(vs);

/**
 * Consensus' view of the chain: builds blocks from the mempool, re-executes
 * proposals (verifying only the signatures this node has not already checked
 * at admission) and commits the block that gets a certificate, reusing the
 * execution that validated it.
 */
export class ChainExecutor implements Executor {
  private readonly prepared = new Map<string, Prepared>();
  /** Bodies that passed the body check, by header hash. */
  private readonly checked = new Map<string, { bytes: Uint8Array; txs: Tx[] }>();
  private readonly budget: BlockBudget;
  /** When the last commit finished, if txs were waiting then (the next height starts busy). */
  private busySince: number | undefined;

  constructor(private readonly d: ChainExecutorDeps) {
    this.budget =
      d.budget ??
      new BlockBudget({ ...defaultBlockBudgetOptions, targetMs: defaultConsensusOptions.timeoutProposeMs / 4 });
  }

  /** chain.execute, timed for the block budget (the clock only sizes proposals, never judges them). */
  private execute(time: number, proposer: Uint8Array, txs: readonly Tx[], opts?: { drop?: boolean }): Execution {
    const t0 = performance.now();
    const exec = this.d.chain.execute(time, proposer, txs, opts);
    this.budget.observe(txs.length, performance.now() - t0);
    return exec;
  }

  /** Commit-to-commit time of a height that started with txs waiting, for the block budget. */
  private timeHeight(txs: number): void {
    const now = performance.now();
    if (this.busySince !== undefined) this.budget.observeInterval(txs, now - this.busySince);
    this.busySince = this.d.mempool.size > 0 ? now : undefined;
  }

  /** Header hash after the body check (see Executor.hashBlock); keeps the decoded txs for execution. */
  hashBlock(bytes: Uint8Array): Uint8Array {
    const block = decodeBlock(bytes);
    const hash = headerHash(block.header);
    this.body(block, hash, bytes);
    return hash;
  }

  /** The body check, once per received block: its result is reused when the same bytes are executed. */
  private body(block: Block, hash: Uint8Array, bytes: Uint8Array): Tx[] {
    const k = toHex(hash);
    const c = this.checked.get(k);
    if (c !== undefined && equalBytes(c.bytes, bytes)) return c.txs;
    const { chain, kind } = this.d;
    const txs = checkBlockBody(
      block,
      chain.genesis.params.maxBlockTxs,
      kind === undefined
        ? undefined
        : (tx) => {
            const h = kind(tx.kind);
            if (h === undefined) throw new TxError(TxErrorCode.UNKNOWN_KIND, { kind: tx.kind });
            h.decodeBody(tx.body, tx);
          },
      // Pooled txs were decoded, body-checked and verified at admission: only identical bytes reuse them.
      (leaf, b) => this.d.mempool.known(leaf, b),
    );
    if (this.checked.size >= MAX_PREPARED) this.checked.clear();
    this.checked.set(k, { bytes, txs });
    return txs;
  }

  hasPendingTxs(): boolean {
    return this.d.mempool.size > 0;
  }

  async buildBlock(height: number, _round: number, now: number): Promise<{ block: Uint8Array; hash: Uint8Array }> {
    const { chain, mempool } = this.d;
    if (height !== chain.head.height + 1) throw new Error(`build at ${height} but head is ${chain.head.height}`);
    // Block time: the proposer's clock, strictly after the previous block.
    const time = Math.max(now, chain.head.time + 1);
    const proposer = this.d.proposerId?.() ?? new Uint8Array(32);
    // Within the byte budget too: a block its proposal cannot carry would never reach the others.
    const budget = Math.min(BLOCK_MAX_BYTES, this.d.maxBlockBytes ?? BLOCK_MAX_BYTES) - BLOCK_OVERHEAD;
    let size = 0;
    const txs = mempool.take(this.budget.cap(chain.genesis.params.maxBlockTxs), time, (tx) => {
      const n = tx.bytes.length + 5; // its CBOR head, at most
      if (size + n > budget || chain.inclusionError(tx, time) !== null) return false;
      size += n;
      return true;
    });
    // Txs whose sender lost the right to send since admission (key rotated, suspended) are left
    // out, and out of the pool: every validator would refuse a block carrying one.
    const exec = this.execute(time, proposer, txs, { drop: true });
    if (exec.dropped.length > 0) mempool.evict(exec.dropped.map((d) => d.tx));
    const block: Block = { header: chain.header(time, proposer, exec), txs: exec.txs.map((t) => t.bytes) };
    const bytes = encodeBlock(block);
    const hash = headerHash(block.header);
    this.remember(hash, { block, bytes, exec });
    return { block: bytes, hash };
  }

  async validateBlock(height: number, bytes: Uint8Array): Promise<{ valid: boolean; hash: Uint8Array; time?: number }> {
    let hash: Uint8Array = new Uint8Array(32);
    try {
      const block = decodeBlock(bytes);
      hash = headerHash(block.header);
      const time = block.header.time;
      if (equalBytes(this.prepared.get(toHex(hash))?.bytes, bytes)) return { valid: true, hash, time };
      const exec = await this.check(height, block, bytes, hash);
      this.remember(hash, { block, bytes, exec });
      return { valid: true, hash, time };
    } catch (err) {
      // The chain moved while the signatures were checked (this height was committed, e.g. from
      // another round's certificate): the block was judged against the wrong head, so there is no
      // verdict to report; the engine drops answers for heights it has left.
      if (height !== this.d.chain.head.height + 1) return { valid: false, hash };
      this.d.onInvalidBlock?.(height, isCoded(err) ? err.code : 'BLOCK_MALFORMED', isCoded(err) ? err.meta : undefined);
      return { valid: false, hash };
    }
  }

  async commit(height: number, bytes: Uint8Array, cert: CommitCertificate): Promise<CommitResult> {
    const { chain, mempool } = this.d;
    let p = this.prepared.get(toHex(cert.blockHash));
    // Only the exact bytes that were validated: a body that differs under the same header is not that block.
    if (!equalBytes(p?.bytes, bytes)) p = undefined;
    if (p === undefined) {
      // A block we never validated (e.g. it arrived by sync with its certificate): execute it now.
      const block = decodeBlock(bytes);
      p = { block, bytes, exec: await this.check(height, block, bytes, headerHash(block.header), true) };
    }
    await chain.commit(p.block, p.exec, encodeCommit(cert), p.bytes);
    this.prepared.clear();
    this.checked.clear();
    mempool.update(p.exec.txs, p.block.header.time);
    this.timeHeight(p.exec.txs.length);
    this.d.onCommitted?.({ block: p.block, exec: p.exec, cert });
    return { nextValidatorSet: toValidatorSet(chain.validators), blockTime: p.block.header.time };
  }

  /** Every rule a proposal must pass, cheapest first, signatures last but one, execution last. */
  private async check(
    height: number,
    block: Block,
    bytes: Uint8Array,
    hash: Uint8Array,
    certified = false,
  ): Promise<Execution> {
    const { chain } = this.d;
    const h = block.header;
    if (h.height !== height || height !== chain.head.height + 1)
      throw new BlockError(BlockErrorCode.WRONG_HEIGHT, { height: h.height });
    // Validity is a fact about the chain; nearness to our clock is a voting rule (the engine's maxClockDriftMs).
    if (h.time <= chain.head.time) throw new BlockError(BlockErrorCode.TIME_NOT_MONOTONIC);
    if (!chain.validators.some((v) => toHex(v.id) === toHex(h.proposer)))
      throw new BlockError(BlockErrorCode.WRONG_PROPOSER);
    const txs = this.body(block, hash, bytes);
    // A certified block was prevoted by more than 2/3 of the power, so by at least one honest
    // validator that checked every signature: a syncing node checks the certificate (sync) and
    // re-executes (roots must match) but does not redo the signatures.
    if (!certified) await this.verifySignatures(txs);
    if (height !== chain.head.height + 1) throw new BlockError(BlockErrorCode.WRONG_HEIGHT, { height: h.height });
    const exec = this.execute(h.time, h.proposer, txs);
    chain.checkHeader(h, exec);
    return exec;
  }

  private async verifySignatures(txs: readonly Tx[]): Promise<void> {
    const { mempool, verified } = this.d;
    const unchecked = txs.filter((tx) => !mempool.hasVerified(tx) && verified?.has(tx) !== true);
    if (unchecked.length === 0) return;
    const items = unchecked.map((tx) => ({ msg: txSigningMessage(tx), sig: tx.signature, pk: tx.pubkey }));
    const ok = await this.d.verifyMany(items);
    if (verified !== undefined) for (let i = 0; i < ok.length; i++) if (ok[i]) verified.add(unchecked[i] as Tx);
    const bad = ok.indexOf(false);
    if (bad >= 0)
      throw new BlockError(BlockErrorCode.BAD_TX, {
        reason: 'TX_BAD_SIGNATURE',
        tx: toHex((unchecked[bad] as Tx).hash),
      });
  }

  private remember(hash: Uint8Array, p: Prepared): void {
    if (this.prepared.size >= MAX_PREPARED) this.prepared.clear();
    this.prepared.set(toHex(hash), p);
  }
}
