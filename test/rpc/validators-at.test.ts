/**
 * chain_getValidators at a block answers the set the block's header names, checked by its hash;
 * a set this node does not hold is CHAIN_VALIDATORS_NOT_RETAINED (1003), never today's set instead.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validatorsHash } from '../../src/chain/validators.js';
import { from0x, utf8 } from '../../src/codec/bytes.js';
import { dbKey, Prefix } from '../../state/store/db.js';
import { call } from './helpers.js';
import { type ScopedNode, startScopedNode } from './scoped-node.js';

let n: ScopedNode;
test.before(async () => {
  n = await startScopedNode();
});
test.after(async () => {
  await n?.close();
});

type V = { id: string; pubkey: string; power: number };
const asSet = (vs: V[]) => vs.map((v) => ({ id: from0x(v.id), pubkey: from0x(v.pubkey), power: v.power }));

test('the set at block 1 hashes to the header’s validatorsHash', async () => {
  const set = (await call(n.url, 'chain_getValidators', { block: 1 }, { anonymous: true })).result as V[];
  const header = (await call(n.url, 'chain_getHeader', { block: 1 }, { anonymous: true })).result as {
    validatorsHash: string;
  };
  assert.ok(set.length > 0);
  assert.is(`0x${Buffer.from(validatorsHash(asSet(set))).toString('hex')}`, header.validatorsHash);
});

test('a set the node does not hold: CHAIN_VALIDATORS_NOT_RETAINED (1003)', async () => {
  const header = (await call(n.url, 'chain_getHeader', { block: 1 }, { anonymous: true })).result as {
    validatorsHash: string;
  };
  await n.api.chain.db.del(dbKey(Prefix.META, utf8('valset/'), from0x(header.validatorsHash)));
  const r = await call(n.url, 'chain_getValidators', { block: 1 }, { anonymous: true });
  assert.equal(r.error, {
    code: 1003,
    message: 'CHAIN_VALIDATORS_NOT_RETAINED',
    data: { code: 'CHAIN_VALIDATORS_NOT_RETAINED', height: 1 },
  });
});

test.run();
