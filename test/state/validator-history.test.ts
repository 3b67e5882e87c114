/**
 * The validator sets a chain has used stay readable by hash (a header's validatorsHash), across a
 * set change and a restart, so a light client checks an old block against the set that signed it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Block } from '../../src/chain/block.js';
import { identityId } from '../../src/chain/genesis.js';
import { type Validator, validatorsHash } from '../../src/chain/validators.js';
import { equal, utf8 } from '../../src/codec/bytes.js';
import { decodeCanonical, encode } from '../../src/codec/cbor.js';
import { publicKeyOf } from '../../src/crypto/ed25519.js';
import { ChainState } from '../../state/chain.js';
import type { StateMachine } from '../../state/exec/machine.js';
import { kvGenesis, kvKey, kvMachine, kvTx, testKey } from '../helpers/kv-machine.js';

const dir = mkdtempSync(join(tmpdir(), 'medchain-valset-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const genesis = kvGenesis();
const T0 = genesis.time;
const SET_KEY = utf8('set');
/** The kv machine, whose validator set a kv tx on key "set" replaces. */
const machine: StateMachine = {
  ...kvMachine,
  validators(state) {
    const raw = state.get(kvKey(SET_KEY));
    if (raw === undefined) return kvMachine.validators(state);
    return (decodeCanonical(raw, 1 << 16) as [Uint8Array, Uint8Array, number][]).map(([id, pubkey, power]) => ({
      id,
      pubkey,
      power,
    }));
  },
};
const open = () => ChainState.open({ dir, genesis, machine });

async function produce(chain: ChainState, value?: Uint8Array): Promise<Block> {
  const time = chain.head.time + 1000;
  const proposer = chain.headValidators[0]?.id as Uint8Array;
  const txs = value === undefined ? [] : [kvTx(genesis.chainId, SET_KEY, value, T0 + 600_000)];
  const exec = chain.execute(time, proposer, txs);
  const block: Block = { header: chain.header(time, proposer, exec), txs: txs.map((t) => t.bytes) };
  await chain.commit(block, exec, new Uint8Array(0));
  return block;
}

const sameSet = (a: readonly Validator[] | undefined, b: readonly Validator[]): boolean =>
  a !== undefined && equal(validatorsHash(a), validatorsHash(b));

test('the set that signed a block before a validator change is still read by its header’s hash', async () => {
  const chain = await open();
  const genesisSet = chain.validators;
  const b1 = await produce(chain);
  const pk = [0, 1].map((i) => publicKeyOf(testKey(i)));
  const newSet: Validator[] = pk.map((p) => ({ id: identityId(p), pubkey: p, power: 1 }));
  await produce(chain, encode(newSet.map((v) => [v.id, v.pubkey, v.power])));
  const b3 = await produce(chain);
  assert.ok(sameSet(chain.validators, newSet), 'the change is in force');
  assert.ok(sameSet(await chain.validatorSetByHash(b1.header.validatorsHash), genesisSet), 'block 1: the old set');
  assert.ok(sameSet(await chain.validatorSetByHash(b3.header.validatorsHash), newSet), 'block 3: the new set');
  await chain.close();
  const again = await open();
  assert.ok(sameSet(await again.validatorSetByHash(b1.header.validatorsHash), genesisSet), 'after a restart');
  assert.is(await again.validatorSetByHash(new Uint8Array(32)), undefined, 'a set never held: undefined');
  await again.close();
});

test.run();
