import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeReceipt } from '../../../src/chain/receipt.js';
import { equal, toHex } from '../../../src/codec/bytes.js';
import { CredentialType } from '../../../src/tx/kinds.js';
import { credentialKey } from '../../../state/domain/keys.js';
import { verifyStateProof } from '../../../state/smt/proof.js';
import { TestChain } from './helpers.js';
import { hospitalDay } from './scenario.js';

test('replaying the same blocks on a fresh node gives the same state roots, receipts and validator hashes', async () => {
  const a = await TestChain.open();
  const b = await TestChain.openWith(a.genesis);
  try {
    await hospitalDay(a);
    assert.ok(a.blocks.length > 20);
    for (const blk of a.blocks) {
      const exec = await b.block([...blk.txs], blk.time);
      assert.is(b.height, blk.height);
      assert.is(toHex(exec.stateRoot), toHex(a.roots[blk.height - 1] as Uint8Array), `state root at ${blk.height}`);
      assert.equal(
        exec.receipts.map((r) => toHex(encodeReceipt(r))),
        blk.receipts.map((r) => toHex(encodeReceipt(r))),
        `receipts at ${blk.height}`,
      );
    }
    assert.ok(equal(a.store.root, b.store.root));
  } finally {
    await a.close();
    await b.close();
  }
});

test('a credential is verifiable by anyone with a state proof against the root', async () => {
  const c = await TestChain.open();
  try {
    const { drX, drE } = await hospitalDay(c);
    const k = credentialKey(drE.id, CredentialType.EMERGENCY, 0);
    const v = c.store.get(k) as Uint8Array;
    assert.ok(verifyStateProof(c.store.root, k, v, c.store.prove(k)));
    const missing = credentialKey(drX.id, CredentialType.EMERGENCY, 0);
    assert.ok(verifyStateProof(c.store.root, missing, null, c.store.prove(missing)), 'non-inclusion');
    assert.not.ok(verifyStateProof(c.store.root, k, new Uint8Array(3), c.store.prove(k)));
  } finally {
    await c.close();
  }
});

test.run();
