/**
 * ops.snapshot.join: seconds until a new full node is ready (serving the source's head) on a chain
 * with a large state, joining by snapshot, against full replay (block sync from height 1,
 * re-executing every block) of the same chain in the same run; prints replay / snapshot.
 *   --keys N        keys of state: N record pointers, one key each, beside a few hundred identities
 *                   (default 20,000; 1,000,000 for the figure; --records N is the same)
 *   --block-txs N   records per block (default 5,000)
 *   --cache-dir D   keep the built chain in D and reuse it in later runs of the same shape (the
 *                   build is the state layer's cost, not what is measured)
 * Blocks are 11 minutes apart in block time, longer than the tx lifetime, as on a chain that
 * has run for a while: the replay window below the snapshot is then one block.
 */
import '../src/polyfill.js';
import { loadavg } from 'node:os';
import { Node } from '../src/node/node.js';
import { medicalStateMachine } from '../state/domain/index.js';
import { tempDir } from './fixtures.js';
import { round } from './measure.js';
import { fullNodeConfig, indexer, servingNode, untilHeight } from './sync.bench.js';
import type { Benchmark } from './types.js';

const MINUTE = 60_000;

export const benchmarks: Benchmark[] = [
  {
    id: 'ops.snapshot.join',
    default: false,
    async run(ctx) {
      const records = Number(ctx.flags.keys ?? ctx.flags.records ?? 20_000);
      const perBlock = Number(ctx.flags['block-txs'] ?? 5000);
      const blocks = Math.max(1, Math.ceil(records / perBlock));
      const { src, genesis, addr } = await servingNode(
        await tempDir('snap-src'),
        blocks,
        perBlock,
        ctx.log,
        11 * MINUTE,
        typeof ctx.flags['cache-dir'] === 'string' ? ctx.flags['cache-dir'] : undefined,
      );
      const target = src.chain.head.height;
      /** Seconds from start until the node serves the source's head. */
      const ready = async (name: string, snapshot: boolean): Promise<number> => {
        const t0 = performance.now();
        const node = await Node.create({
          home: await tempDir(name),
          config: {
            ...fullNodeConfig(name, [addr], 0),
            snapshot: { join: snapshot, waitPeersMs: 60_000 },
            log: { level: ctx.flags.verbose ? 'info' : 'warn' },
          },
          machine: medicalStateMachine,
          indexer,
          genesis,
        });
        try {
          // A 1M-key replay on a busy 2-core machine takes most of an hour: bounded, but not by 30 minutes.
          await untilHeight(node, target, 120 * MINUTE);
          if (node.chain.head.height < target) throw new Error(`${name} at ${node.chain.head.height}/${target}`);
          if (node.chain.head.stateRoot.toString() !== src.chain.head.stateRoot.toString())
            throw new Error(`${name}: state root differs`);
          return (performance.now() - t0) / 1000;
        } finally {
          await node.close();
        }
      };
      try {
        const replay = await ready('snap-replay', false);
        ctx.log(`full replay of ${target} blocks: ${round(replay, 2)} s`);
        const snapshot = await ready('snap-join', true);
        ctx.log(`snapshot join: ${round(snapshot, 2)} s; replay / snapshot = ${round(replay / snapshot, 2)}`);
        ctx.log(
          `load average ${loadavg()
            .map((l) => round(l, 1))
            .join(' ')}`,
        );
        return {
          id: 'ops.snapshot.join',
          ops_per_s: round(records / snapshot),
          records,
          blocks: target,
          snapshot_s: round(snapshot, 2),
          replay_s: round(replay, 2),
          replay_over_snapshot: round(replay / snapshot, 2),
          snapshot_us_per_key: round((snapshot * 1e6) / records, 1),
          replay_us_per_key: round((replay * 1e6) / records, 1),
          load_avg_1m: round(loadavg()[0] as number, 1),
        };
      } finally {
        await src.close();
      }
    },
  },
];
