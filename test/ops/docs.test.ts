import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NodeMetrics } from '../../src/ops/metrics.js';
import { parseExposition } from './exposition.js';

// dist/test/ops -> the repository root.
const doc = (p: string): Promise<string> => readFile(fileURLToPath(new URL(`../../../${p}`, import.meta.url)), 'utf8');

async function families(): Promise<Set<string>> {
  const m = new NodeMetrics();
  const none = (): [] => [];
  m.attach({
    headHeight: () => 1,
    validators: () => 1,
    isValidator: () => true,
    peers: () => ({ connected: 0, handshaken: 0, configured: 0, bestHeight: null }),
    syncing: () => false,
    mempool: () => ({ txs: 0, bytes: 0 }),
    admissions: none,
    gossip: none,
    verifier: () => ({ queued: 0, backlog: 0, waitMs: 0, jobs: 0, items: 0 }),
    wsConnections: () => 0,
    disk: () => ({ free: 1, total: 2 }),
  });
  m.attachVault(() => [[{ outcome: 'ok' }, 1]]);
  m.attachFeed({ deliveredHeight: 1 }, () => 1);
  return new Set(parseExposition(await m.scrape()).types.keys());
}

const referenced = (text: string): string[] => [
  ...new Set([...text.matchAll(/\bmedchain_[a-z0-9_]+/g)].map((x) => x[0].replace(/_(bucket|sum|count)$/, ''))),
];

for (const file of ['docs/ops/grafana-dashboard.json', 'docs/ops/medchain-alerts.yml', 'docs/OPERATIONS.md']) {
  test(`every medchain_ series in ${file} is one the node exports`, async () => {
    const known = await families();
    const names = referenced(await doc(file));
    assert.ok(names.length > 5, 'the file references series');
    const unknown = names.filter((n) => !known.has(n) && !known.has(n.replace(/_total$/, '')));
    assert.equal(unknown, [], `unknown series in ${file}`);
  });
}

test('the Grafana dashboard is valid JSON with panels that query Prometheus', async () => {
  const d = JSON.parse(await doc('docs/ops/grafana-dashboard.json')) as {
    panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
  };
  const queries = d.panels.flatMap((p) => p.targets ?? []);
  assert.ok(queries.length >= 20);
  for (const q of queries) assert.match(q.expr, /medchain_|process_|nodejs_/);
});

test.run();
