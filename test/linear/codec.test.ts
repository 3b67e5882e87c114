/**
 * Decoders of attacker-sized input cost linear time in its size: records and
 * scopes in tx bodies, bundles, blocks, commit certificates, sync responses.
 * LINEAR_QUADRATIC_DEMO=1 swaps in a deliberately quadratic bundle decoder to
 * show the check catches one (it must then fail).
 */
import { test } from 'uvu';
import { header } from '../../bench/fuzz/seeds.js';
import { decodeCommit, encodeCommit } from '../../consensus/engine/messages.js';
import { defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import { decodeBundle, encodeBundle } from '../../p2p/bundle.js';
import { decodeSyncResponse } from '../../p2p/sync.js';
import { type Block, decodeBlock, encodeBlock } from '../../src/chain/block.js';
import { assembleTx, decodeTx, encodeTxPayload } from '../../src/chain/tx.js';
import { encode } from '../../src/codec/cbor.js';
import { decodeBody } from '../../src/tx/bodies.js';
import { buildTx } from '../../src/tx/builders.js';
import { TxKind } from '../../src/tx/kinds.js';
import { medicalStateMachine } from '../../state/domain/medical-machine.js';
import { assertLinear, swallow } from './linear.js';

const id = (i: number): Uint8Array => {
  const b = new Uint8Array(32);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const LIMITS = { maxItems: 1_000_000, maxItemBytes: 16 * 1024 };

/** A quadratic bundle decoder (copies the list on every item): what the check must catch. */
function quadraticDecodeBundle(bytes: Uint8Array): Uint8Array[] {
  let items: Uint8Array[] = [];
  for (const it of decodeBundle(bytes, LIMITS)) items = [...items, it];
  return items;
}
const bundleDecoder = process.env.LINEAR_QUADRATIC_DEMO
  ? quadraticDecodeBundle
  : (b: Uint8Array) => decodeBundle(b, LIMITS);

test('tx admission decode is linear in the number of ids in a body (records, scopes)', async () => {
  await assertLinear(
    'tx body ids',
    (n) => {
      const f = {
        chainId: 'c',
        kind: TxKind.GRANT_CONSENT,
        signer: id(0),
        pubkey: id(1),
        expiresAt: 1,
        nonce: new Uint8Array(0),
        body: [id(2), id(3), Array.from({ length: n }, (_, i) => id(10 + i)), 1, 1, 2, 0, 5],
      };
      const bytes = assembleTx(f, encodeTxPayload(f), new Uint8Array(64)).bytes;
      return swallow(() => decodeBody(decodeTx(bytes)));
    },
    50, // 200 ids still fit the 8 KiB tx limit: the bound decodes, then the body check refuses
  );
});

test('gossip bundle decode is linear in its item count', async () => {
  await assertLinear(
    'bundle items',
    (n) => {
      const bytes = encodeBundle(Array.from({ length: n }, (_, i) => id(i)));
      return () => bundleDecoder(bytes);
    },
    1000,
  );
});

test('admitting a gossip bundle to the mempool is linear in its item count', async () => {
  const pool = () =>
    new Mempool(defaultMempoolOptions, {
      chainId: 'c',
      maxTxLifetimeMs: 600_000,
      kind: (k) => medicalStateMachine.kind(k),
      isIncluded: () => false,
      verifyMany: async (items) => items.map(() => true),
      now: () => 1_000,
    });
  await assertLinear(
    'mempool bundle admission',
    (n) => {
      const items = Array.from({ length: n }, (_, i) => {
        const f = buildTx(
          TxKind.REVOKE_DELEGATE,
          { chainId: 'c', signer: id(0), pubkey: id(1), expiresAt: 60_000, nonce: id(i).subarray(0, 4) },
          { delegate: id(2) },
        );
        return assembleTx(f, encodeTxPayload(f), new Uint8Array(64)).bytes;
      });
      return () => pool().addMany(items);
    },
    200,
  );
});

test('block decode is linear in its tx count', async () => {
  await assertLinear(
    'block txs',
    (n) => {
      const b: Block = { header: header(1), txs: Array.from({ length: n }, (_, i) => id(i)) };
      const bytes = encodeBlock(b);
      return () => decodeBlock(bytes);
    },
    1000,
  );
});

test('commit certificate decode is linear in its signer count', async () => {
  await assertLinear(
    'commit signers',
    (n) => {
      const signatures = Array.from({ length: n }, (_, i) => ({ validatorIndex: i, signature: new Uint8Array(64) }));
      const bytes = encodeCommit({ height: 1, round: 0, blockHash: id(1), signatures });
      return () => decodeCommit(bytes);
    },
    250,
  );
});

test('sync response decode is linear in its block count', async () => {
  await assertLinear(
    'sync response blocks',
    (n) => {
      const bytes = encode(Array.from({ length: n }, (_, i) => [id(i), id(i + 1)]));
      return () => decodeSyncResponse(bytes, 1, 64 * 1024 * 1024, n);
    },
    1000,
  );
});

test.run();
