import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackupManifest } from '../../src/ops/backup-format.js';
import { NodeMetrics } from '../../src/ops/metrics.js';
import { OpsServer, type OpsServerDeps } from '../../src/ops/server.js';

const log = { info: () => {}, warn: () => {} };
// progress as of each probe: the suite may start long after this module loads
const inputs = { headHeight: 5, peers: 2, bestPeerHeight: 5 };

async function serve(opts: { token?: string }, deps: Partial<OpsServerDeps> = {}) {
  const s = new OpsServer(
    { enabled: true, host: '127.0.0.1', port: 0, ...opts },
    {
      metrics: new NodeMetrics(),
      readyInputs: () => {
        const now = Date.now();
        return { ...inputs, lastProgressAt: now, now };
      },
      defaults: { minPeers: 1, maxBlocksBehind: 5, maxStallSeconds: 30 },
      log,
      ...deps,
    },
  );
  const { url } = await s.listen();
  return { s, url };
}

const backup: OpsServerDeps['backup'] = async (sink) => {
  await sink(new TextEncoder().encode('BACKUP'));
  return { height: 5, entries: 1 } as BackupManifest;
};

test('probes are open; /readyz takes thresholds as query parameters and answers 200 or 503 with reasons', async () => {
  const { s, url } = await serve({ token: 'secret' });
  try {
    assert.is((await fetch(`${url}/livez`)).status, 200);
    assert.is((await fetch(`${url}/readyz`)).status, 200);
    const r = await fetch(`${url}/readyz?minPeers=3`);
    assert.is(r.status, 503);
    assert.equal(((await r.json()) as { reasons: string[] }).reasons, ['TOO_FEW_PEERS']);
    assert.is((await fetch(`${url}/readyz?minPeers=abc`)).status, 400);
    assert.is((await fetch(`${url}/nope`)).status, 404);
    assert.is((await fetch(`${url}/livez`, { method: 'POST' })).status, 405);
  } finally {
    await s.close();
  }
});

test('/metrics is open without ops.token and needs the bearer token with one', async () => {
  const open = await serve({});
  try {
    assert.is((await fetch(`${open.url}/metrics`)).status, 200);
  } finally {
    await open.s.close();
  }
  const guarded = await serve({ token: 'secret' });
  try {
    assert.is((await fetch(`${guarded.url}/metrics`)).status, 401);
    const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer secret' } });
    assert.is(ok.status, 200);
    assert.match(await ok.text(), /medchain_node_info/);
  } finally {
    await guarded.s.close();
  }
});

test('POST /backup always needs a token: ops.token, else the per-start local token; none means no backups', async () => {
  const none = await serve({}, { backup });
  try {
    assert.is((await fetch(`${none.url}/backup`, { method: 'POST' })).status, 404);
  } finally {
    await none.s.close();
  }
  const local = await serve({}, { backup, backupToken: 'local' });
  try {
    assert.is((await fetch(`${local.url}/backup`, { method: 'POST' })).status, 401);
    assert.is((await fetch(`${local.url}/backup`)).status, 405);
    const ok = await fetch(`${local.url}/backup`, { method: 'POST', headers: { authorization: 'Bearer local' } });
    assert.is(ok.status, 200);
    assert.is(await ok.text(), 'BACKUP');
    // Metrics stay open: the backup token guards only backups.
    assert.is((await fetch(`${local.url}/metrics`)).status, 200);
  } finally {
    await local.s.close();
  }
});

test.run();
