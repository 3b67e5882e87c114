/**
 * A minimal state machine for chain-level tests: one kind that sets a key,
 * failing on request, so chain, producer and crash tests do not depend on the
 * medical rules.
 */

import { defaultMempoolOptions, Mempool } from '../../consensus/mempool.js';
import type { Genesis } from '../../src/chain/genesis.js';
import { defaultChainParams, identityId } from '../../src/chain/genesis.js';
import type { Tx } from '../../src/chain/tx.js';
import type { Validator } from '../../src/chain/validators.js';
import { concat, utf8 } from '../../src/codec/bytes.js';
import { asBytes, asTuple, decodeCanonical, encode } from '../../src/codec/cbor.js';
import { publicKeyOf, signFast, verify } from '../../src/crypto/ed25519.js';
import { signTx } from '../../src/tx/sign.js';
import { type StateMachine, TxFailure, type TxKindHandler } from '../../state/exec/machine.js';

export const KV_KIND = 1000;
const VALIDATORS_KEY = utf8('validators');
export const kvKey = (k: Uint8Array): Uint8Array => concat(utf8('kv/'), k);

const kvSet: TxKindHandler<{ key: Uint8Array; value: Uint8Array }> = {
  kind: KV_KIND,
  name: 'kv.set',
  decodeBody(raw) {
    const [k, v] = asTuple(raw, 2, 'kv');
    return { key: asBytes(k, 'kv.key', undefined, 64), value: asBytes(v, 'kv.value', undefined, 1024) };
  },
  apply(ctx, _tx, body) {
    ctx.state.set(kvKey(body.key), body.value);
    if (body.value.length === 1 && body.value[0] === 0xff) throw new TxFailure('KV_REFUSED');
    ctx.emit({ type: 'kv.set', attrs: { key: body.key } });
    return { status: 'ok' };
  },
};

export const kvMachine: StateMachine = {
  kind: (k) => (k === KV_KIND ? (kvSet as TxKindHandler) : undefined),
  initGenesis(ctx, g) {
    ctx.state.set(VALIDATORS_KEY, encode(g.validators.map((v) => [v.org, v.pubkey, v.power])));
  },
  validators(state) {
    const raw = state.get(VALIDATORS_KEY);
    if (raw === undefined) return [];
    return (decodeCanonical(raw, 1 << 20) as [Uint8Array, Uint8Array, number][]).map(
      ([id, pubkey, power]): Validator => ({ id, pubkey, power }),
    );
  },
};

export function testKey(i: number): Uint8Array {
  const sk = new Uint8Array(32);
  new DataView(sk.buffer).setUint32(0, i + 1);
  return sk;
}

export function kvGenesis(chainId = 'test-chain', validators = 1): Genesis {
  const vals = Array.from({ length: validators }, (_, i) => publicKeyOf(testKey(i)));
  return {
    chainId,
    time: 1_700_000_000_000,
    params: defaultChainParams,
    organizations: vals.map((pubkey, i) => ({ pubkey, name: `Org ${i}` })),
    validators: vals.map((pubkey) => ({ org: identityId(pubkey), pubkey, power: 1 })),
  };
}

/** Who signs kv txs; its public key derived once (noble takes ~1 ms, and a crash-test block has 1,500 txs). */
const kvSigner = { sk: testKey(99), pubkey: publicKeyOf(testKey(99)) };

export function kvTx(
  chainId: string,
  key: Uint8Array,
  value: Uint8Array,
  expiresAt: number,
  nonce = new Uint8Array(0),
): Tx {
  const { sk, pubkey } = kvSigner;
  return signTx(
    { chainId, kind: KV_KIND, signer: identityId(pubkey), pubkey, expiresAt, nonce, body: [key, value] },
    sk,
    signFast,
  );
}

/** A real mempool for kv txs at genesis time that counts the signatures it checks (gossip cost tests). */
export function countingKvMempool(chainId: string): { genesis: Genesis; mempool: Mempool; verified: () => number } {
  const genesis = kvGenesis(chainId);
  let verified = 0;
  const mempool = new Mempool(defaultMempoolOptions, {
    chainId: genesis.chainId,
    maxTxLifetimeMs: genesis.params.maxTxLifetimeMs,
    kind: (k) => kvMachine.kind(k),
    isIncluded: () => false,
    verifyMany: async (xs) => {
      verified += xs.length;
      return xs.map((i) => verify(i.sig, i.msg, i.pk));
    },
    now: () => genesis.time,
  });
  return { genesis, mempool, verified: () => verified };
}
