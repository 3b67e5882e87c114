import { Type } from '@sinclair/typebox';
import { MerkleTree } from '../../src/chain/merkle.js';
import { decodeReceipt } from '../../src/chain/receipt.js';
import { decodeTx } from '../../src/chain/tx.js';
import { from0x, to0x } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { defineMethod } from '../methods.js';
import { Bytes0x, Hash32, TimeMs, Uint } from '../schema.js';
import { loadBlock } from './chain.js';
import { MerkleProofJson, ReceiptJson, receiptToJson } from './json.js';
import { TxWaiters } from './tx-waiters.js';
import type { NodeApi } from './types.js';

export const TxRpcErrorCode = { NOT_FOUND: 'TX_NOT_FOUND', WAIT_TIMEOUT: 'TX_WAIT_TIMEOUT' } as const;

const MAX_WAIT_MS = 60_000;

function proofJson(tree: MerkleTree, index: number) {
  return {
    index,
    treeSize: tree.size,
    leafHash: to0x(tree.leafHash(index)),
    path: tree.proof(index).map(to0x),
    root: to0x(tree.root),
  };
}

/** A located transaction's receipt with RFC 6962 inclusion proofs against txRoot and eventsRoot. */
async function receiptAt(api: NodeApi, height: number, index: number) {
  const [{ block, hash }, receipts] = await Promise.all([loadBlock(api, height), api.chain.blocks.getReceipts(height)]);
  const encoded = receipts?.[index];
  if (encoded === undefined) throw new MedchainError(TxRpcErrorCode.NOT_FOUND);
  return {
    ...receiptToJson(decodeReceipt(encoded)),
    height,
    index,
    blockHash: to0x(hash),
    time: block.header.time,
    receipt: to0x(encoded),
    txProof: proofJson(MerkleTree.fromLeaves(block.txs), index),
    receiptProof: proofJson(MerkleTree.fromLeaves(receipts as Uint8Array[]), index),
  };
}

const ReceiptWithProof = Type.Composite([
  ReceiptJson,
  Type.Object({
    height: Uint(),
    index: Uint(),
    blockHash: Hash32(),
    time: TimeMs(),
    receipt: Bytes0x({ description: 'canonical CBOR of the receipt: the eventsRoot leaf' }),
    txProof: MerkleProofJson,
    receiptProof: MerkleProofJson,
  }),
]);

export function txMethods(api: NodeApi) {
  const waiters = new TxWaiters(api);

  return [
    defineMethod({
      name: 'tx_submit',
      summary: 'Submits a signed transaction (canonical CBOR); returns its hash once admitted to the mempool',
      params: [{ name: 'tx', schema: Bytes0x({ maxLength: 8192 }) }],
      result: Hash32(),
      errors: [
        'TX_OVERSIZE',
        'TX_MALFORMED',
        'TX_WRONG_CHAIN',
        'TX_UNKNOWN_KIND',
        'TX_EXPIRED',
        'TX_EXPIRY_TOO_FAR',
        'TX_DUPLICATE',
        'TX_BAD_SIGNATURE',
        'TX_MEMPOOL_FULL',
        'TX_SENDER_LIMIT',
        'TX_BAD_SENDER',
        'TX_NODE_BUSY',
      ],
      handler: async (p) => to0x(await api.submitTx(from0x(p.tx))),
    }),
    defineMethod({
      name: 'tx_get',
      summary: 'A committed transaction by hash, with its location',
      params: [{ name: 'hash', schema: Hash32() }],
      result: Type.Object({
        hash: Hash32(),
        height: Uint(),
        index: Uint(),
        kind: Uint(),
        signer: Hash32(),
        tx: Bytes0x(),
      }),
      errors: [TxRpcErrorCode.NOT_FOUND],
      handler: async (p) => {
        const loc = await api.chain.blocks.getTxLocation(from0x(p.hash));
        if (loc === undefined) throw new MedchainError(TxRpcErrorCode.NOT_FOUND);
        const { block } = await loadBlock(api, loc.height);
        const bytes = block.txs[loc.index] as Uint8Array;
        const tx = decodeTx(bytes);
        return {
          hash: to0x(tx.hash),
          height: loc.height,
          index: loc.index,
          kind: tx.kind,
          signer: to0x(tx.signer),
          tx: to0x(bytes),
        };
      },
    }),
    defineMethod({
      name: 'tx_getReceipt',
      summary: 'Status, events and RFC 6962 inclusion proofs of a committed transaction against txRoot and eventsRoot',
      params: [{ name: 'hash', schema: Hash32() }],
      result: ReceiptWithProof,
      errors: [TxRpcErrorCode.NOT_FOUND],
      handler: async (p) => {
        const loc = await api.chain.blocks.getTxLocation(from0x(p.hash));
        if (loc === undefined) throw new MedchainError(TxRpcErrorCode.NOT_FOUND);
        return receiptAt(api, loc.height, loc.index);
      },
    }),
    defineMethod({
      name: 'tx_waitFinal',
      summary:
        'Waits until a transaction is committed (final: BFT has no reorgs), up to timeoutMs; returns its receipt',
      params: [
        { name: 'hash', schema: Hash32() },
        { name: 'timeoutMs', schema: Uint(), required: false },
      ],
      result: ReceiptWithProof,
      errors: [TxRpcErrorCode.WAIT_TIMEOUT],
      timeoutMs: MAX_WAIT_MS + 5_000,
      handler: async (p, ctx) => {
        const hash = from0x(p.hash);
        const loc = await waiters.wait(hash, Math.min(p.timeoutMs ?? 30_000, MAX_WAIT_MS), ctx.signal);
        if (loc === null) throw new MedchainError(TxRpcErrorCode.WAIT_TIMEOUT);
        return receiptAt(api, loc.height, loc.index);
      },
    }),
  ];
}
