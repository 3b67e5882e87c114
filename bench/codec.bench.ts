import { encode as cborgEncode } from 'cborg';
import { identityId } from '../src/chain/genesis.js';
import { encodeReceipt, type Receipt } from '../src/chain/receipt.js';
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

/** The receipt of a granted access (the chain's most common receipt), with its one event. */
function sampleReceipt(): Receipt {
  const prng = new Prng(4);
  const attrs = {
    patient: prng.bytes(32),
    grantee: prng.bytes(32),
    records: prng.bytes(32),
    purpose: 'TREAT',
    granted: true,
    emergency: false,
  };
  return { txHash: prng.bytes(32), status: 0, code: '', events: [{ type: 'access', attrs }] };
}

export const benchmarks: Benchmark[] = [
  {
    id: 'codec.receipt.encode',
    async run() {
      const r = sampleReceipt();
      // The limit: cborg's generic encoding of the same receipt (the bytes encodeReceipt must equal),
      // alternated with ours in 5 rounds so load drift falls on both.
      const generic = (): Uint8Array =>
        cborgEncode([r.txHash, r.status, r.code, r.events.map((e) => [e.type, e.attrs])]);
      const ours: number[] = [];
      const limits: number[] = [];
      for (let k = 0; k < 5; k++) {
        limits.push(opsPerSecondSync(generic, 1, 300));
        ours.push(opsPerSecondSync(() => encodeReceipt(r), 1, 300));
      }
      const ratios = ours.map((o, k) => o / (limits[k] as number)).sort((a, b) => a - b);
      const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
      return {
        id: 'codec.receipt.encode',
        ops_per_s: round(mid(ours)),
        limit_ops_per_s: round(mid(limits)),
        ratio: round(ratios[2] as number, 2),
        receipt_bytes: encodeReceipt(r).length,
      };
    },
  },
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
