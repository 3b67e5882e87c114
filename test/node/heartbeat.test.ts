/**
 * The empty-block interval is the chain's (genesis params.emptyBlockIntervalMs), not a node's:
 * a node whose config.json still says `consensus.heartbeatMs` (an hour here) makes empty blocks at
 * the genesis pace, and says at start that the key is ignored. Every node of a chain therefore
 * waits equally long at round 0, and none misses the others' round-0 proposals.
 */
import '../../src/polyfill.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../src/codec/bytes.js';
import { defaultNodeConfig, type NodeConfig } from '../../src/node/config.js';
import { createLogger } from '../../src/node/logger.js';
import { Node } from '../../src/node/node.js';
import { kvGenesis, kvMachine, testKey } from '../helpers/kv-machine.js';
import { until } from '../helpers/procs.js';

test('a validator makes empty blocks at genesis emptyBlockIntervalMs; a local consensus.heartbeatMs is ignored (and logged)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-heartbeat-'));
  const g = kvGenesis('heartbeat-chain');
  const genesis = { ...g, params: { ...g.params, emptyBlockIntervalMs: 100 } };
  writeFileSync(join(dir, 'validator-key.json'), JSON.stringify({ secretKey: toHex(testKey(0)) }), { mode: 0o600 });
  const cfg = {
    ...defaultNodeConfig,
    moniker: 'heartbeat',
    validatorKeyFile: 'validator-key.json',
    p2p: { ...defaultNodeConfig.p2p, listen: ['/ip4/127.0.0.1/tcp/0'] },
    rpc: { ...defaultNodeConfig.rpc, enabled: false },
    // A config.json from before: one hour. If it were read, no block would come within the test.
    consensus: { heartbeatMs: 3_600_000 },
  } as NodeConfig;
  const lines: string[] = [];
  const logger = createLogger('warn', {}, { destination: { write: (s: string) => lines.push(s) } });
  const node = await Node.create({ home: dir, config: cfg, machine: kvMachine, genesis, logger });
  try {
    await until('3 empty blocks', 120_000, async () => (node.chain.head.height >= 3 ? true : undefined));
    assert.ok(
      lines.some((l) => l.includes('consensus.heartbeatMs') && l.includes('ignored')),
      'the ignored key is logged',
    );
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
