import { encode as cborgEncode } from 'cborg';
import { identityId } from '../src/chain/genesis.js';
import { decodeTx } from '../src/chain/tx.js';
import { publicKeyOf, signFast } from '../src/crypto/ed25519.js';
import { access } from '../src/tx/builders.js';
import { Purpose } from '../src/tx/kinds.js';
import { signTx } from '../src/tx/sign.js';
import { Prng } from './fixtures.js';
import { opsPerSecondSync, round } from './measure.js';
import type { Benchmark } from './types.js';

/** A realistic signed access transaction (the chain's most common kind). */
function sampleTx() {
  const prng = new Prng(3);
  const sk = prng.bytes(32);
  const pubkey = publicKeyOf(sk);
  const env = {
    chainId: 'medchain-bench',
    signer: identityId(pubkey),
    pubkey,
    expiresAt: 1_700_000_060_000,
    nonce: prng.bytes(8),
  };
  const body = { patient: prng.bytes(32), records: [prng.bytes(32)], purpose: Purpose.TREAT };
  return signTx(access(env, body), sk, signFast);
}

export const benchmarks: Benchmark[] = [
  {
    id: 'codec.tx.roundtrip',
    async run() {
      const tx = sampleTx();
      // The limit: cborg's own decode+encode of the same bytes, without our canonical and shape checks.
      const { decode } = await import('cborg');
      const limit = opsPerSecondSync(() => cborgEncode(decode(tx.bytes)), 1, 1000);
      const ops = opsPerSecondSync(
        () => {
          const d = decodeTx(tx.bytes);
          return cborgEncode([d.payload, d.signature]);
        },
        1,
        1000,
      );
      return {
        id: 'codec.tx.roundtrip',
        ops_per_s: round(ops),
        limit_ops_per_s: round(limit),
        ratio: round(ops / limit, 2),
        tx_bytes: tx.bytes.length,
      };
    },
  },
];
