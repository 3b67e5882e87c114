/**
 * The cost of Prometheus metrics on a busy validator, in process:
 *   ops.metrics.scrape   scrapes/s of /metrics' text (registry.metrics()) with the label sets a busy
 *                        validator accumulates (every RPC method with both outcomes, 7 validators,
 *                        a dozen admission codes, every gossip verdict, histograms filled), and the
 *                        main-thread share that costs at a 15 s scrape interval;
 *   ops.metrics.commit   committed() calls/s for 1,000-tx blocks whose txs were all submitted here
 *                        (the per-block hot-path cost of tx finality tracking).
 */
import type { CommittedBlock } from '../consensus/chain-executor.js';
import { NodeMetrics } from '../src/ops/metrics.js';
import { Prng } from './fixtures.js';
import { opsPerSecond, opsPerSecondSync, round } from './measure.js';
import type { Benchmark, BenchResult } from './types.js';

const VALIDATORS = 7;
const BLOCK_TXS = 1000;
const RPC_METHODS = 40;
const CODES = [
  'admitted',
  'TX_BAD_SIGNATURE',
  'TX_EXPIRED',
  'TX_EXPIRY_TOO_FAR',
  'TX_DUPLICATE',
  'TX_MALFORMED',
  'TX_WRONG_CHAIN',
  'TX_UNKNOWN_KIND',
  'MEMPOOL_FULL',
  'SENDER_LIMIT',
  'CODEC_NON_CANONICAL',
  'TX_OVERSIZE',
];

function busyMetrics(rng: Prng): { m: NodeMetrics; validators: { id: Uint8Array }[] } {
  const m = new NodeMetrics();
  const counts = CODES.map((c, i) => [{ result: c }, 1000 * (i + 1)] as [Record<string, string>, number]);
  const gossip: [Record<string, string>, number][] = [];
  for (const topic of ['tx', 'proposal', 'vote'])
    for (const result of ['accept', 'ignore', 'reject'])
      for (const reason of ['validator', 'too_large', 'validator_threw']) gossip.push([{ topic, result, reason }, 7]);
  m.attach({
    headHeight: () => 123_456,
    validators: () => VALIDATORS,
    isValidator: () => true,
    peers: () => ({ connected: 6, handshaken: 6, configured: 6, bestHeight: 123_457 }),
    syncing: () => false,
    mempool: () => ({ txs: 5000, bytes: 5_000_000 }),
    admissions: () => counts,
    gossip: () => gossip,
    verifier: () => ({ queued: 3, backlog: 200, waitMs: 40, jobs: 10_000, items: 640_000 }),
    wsConnections: () => 12,
    disk: () => ({ free: 1e11, total: 5e11 }),
  });
  for (let i = 0; i < RPC_METHODS; i++)
    for (let k = 0; k < 50; k++)
      m.rpcCall(`ns_method${i}`, k % 10 === 0 ? 'error' : 'ok', (rng.u32() / 2 ** 32) * 0.05);
  for (let i = 0; i < 200; i++) {
    m.execution('build', (rng.u32() / 2 ** 32) * 0.5);
    m.execution('validate', (rng.u32() / 2 ** 32) * 0.5);
    m.pruned(true, (rng.u32() / 2 ** 32) * 10, 1000);
  }
  const validators = Array.from({ length: VALIDATORS }, () => ({ id: rng.bytes(32) }));
  return { m, validators };
}

function block(height: number, txs: Uint8Array[]): CommittedBlock {
  return {
    block: { header: { height, time: Date.now() - 500 } },
    exec: { txs: txs.map((hash) => ({ hash })) },
    cert: { height, round: 0, signatures: [0, 1, 2, 3, 4].map((validatorIndex) => ({ validatorIndex })) },
  } as unknown as CommittedBlock;
}

export const benchmarks: Benchmark[] = [
  {
    id: 'ops.metrics.scrape',
    async run(ctx): Promise<BenchResult> {
      const rng = new Prng(0x6f7073);
      const { m, validators } = busyMetrics(rng);
      for (let h = 1; h <= 300; h++) m.committed(block(h, []), validators, validators[0]?.id);
      const text = await m.scrape();
      const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      const seconds = typeof ctx.flags.seconds === 'string' ? Number(ctx.flags.seconds) : 3;
      const perS = await opsPerSecond(() => m.scrape(), 1, seconds * 1000);
      const ms = 1000 / perS;
      ctx.log(`ops.metrics.scrape: ${series} samples, ${text.length} bytes, ${round(ms, 2)} ms per scrape`);
      return {
        id: 'ops.metrics.scrape',
        ops_per_s: round(perS, 1),
        ms_per_scrape: round(ms, 3),
        samples: series,
        bytes: text.length,
        main_thread_share_at_15s: round(ms / 15_000, 6),
      };
    },
  },
  {
    id: 'ops.metrics.commit',
    async run(ctx): Promise<BenchResult> {
      const rng = new Prng(0x636f6d);
      const { m, validators } = busyMetrics(rng);
      let h = 0;
      const makeBlock = (): [Uint8Array[], CommittedBlock] => {
        const txs = Array.from({ length: BLOCK_TXS }, () => rng.bytes(32));
        return [txs, block(++h, txs)];
      };
      // The same loop without metrics, in the same run: what the tracking adds is the difference.
      const basePerS = opsPerSecondSync(() => makeBlock(), 1, 1000);
      const perS = opsPerSecondSync(
        () => {
          const [txs, b] = makeBlock();
          for (const t of txs) m.txSubmitted(t);
          m.committed(b, validators, validators[0]?.id);
        },
        1,
        2000,
      );
      const usPerTx = (1e6 / perS - 1e6 / basePerS) / BLOCK_TXS;
      ctx.log(`ops.metrics.commit: ${round(usPerTx, 3)} µs per tx of submit + finality tracking`);
      return {
        id: 'ops.metrics.commit',
        ops_per_s: round(perS, 1),
        baseline_ops_per_s: round(basePerS, 1),
        added_us_per_tx: round(usPerTx, 3),
      };
    },
  },
];
