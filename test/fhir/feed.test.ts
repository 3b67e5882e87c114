/**
 * The audit feed in process over a small history (state layer, no consensus): every block's
 * AuditEvents arrive as one batch in chain order; a failing repository (HTTP 500, a refused
 * batch entry, a closed port) is retried with backoff and never skipped; the delivered height is
 * persisted, so a new feed resumes after it (resending at most the last block) and a cursor of
 * another chain starts over.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildHistory, type History } from '../../bench/fhir-history.js';
import { AuditFeed, defaultFeedOptions, type FeedOptions } from '../../src/fhir/index.js';
import { blockEntries } from '../../src/fhir/source.js';
import { loud } from '../helpers/hooks.js';
import { freePorts, until } from '../helpers/procs.js';
import { FhirReceiver } from './receiver.js';

let h: History;
let receiver: FhirReceiver;
const dir = mkdtempSync(join(tmpdir(), 'medchain-feed-'));
const logs: string[] = [];
const logger = {
  info: (o: object, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`),
  warn: (o: object, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`),
  error: (o: object, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`),
};
let allIds: string[] = [];

const feedOf = (o: Partial<FeedOptions> = {}, f?: typeof fetch) =>
  new AuditFeed(
    {
      ...defaultFeedOptions,
      url: receiver.url,
      cursorFile: join(dir, 'cursor.json'),
      retryBaseMs: 20,
      retryMaxMs: 100,
      lagLogMs: 50,
      ...o,
    },
    { api: h.api, source: { chainId: 'fhir-history', node: 'n0' }, logger, ...(f ? { fetch: f } : {}) },
  );

const before = (a: string, b: string) => {
  const [x, y] = [a.split('-').map(Number), b.split('-').map(Number)] as [number[], number[]];
  return (
    (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number) || (x[2] as number) - (y[2] as number)
  );
};

test.before(
  loud('fhir/feed', async () => {
    h = await buildHistory(300, 5, 50);
    const [port] = await freePorts(1);
    receiver = new FhirReceiver(port as number);
    for (let height = 1; height <= h.api.chain.head.height; height++)
      allIds.push(...(await blockEntries(h.api, height)).map((e) => `${e.height}-${e.receipt}-${e.seq}`));
    allIds = allIds.sort(before);
  }),
);

test.after(async () => {
  await receiver?.down();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('retries a down repository, HTTP 500 and refused batch entries without skipping, then delivers in order', async () => {
  let calls = 0;
  // The first POSTs find nothing listening, then a 500, then a batch-response with a failed entry.
  const flaky: typeof fetch = async (url, init) => {
    calls++;
    if (calls === 4) return new Response('oops', { status: 500 });
    if (calls === 5)
      return new Response(
        JSON.stringify({ resourceType: 'Bundle', type: 'batch-response', entry: [{ response: { status: '500' } }] }),
        { status: 200 },
      );
    return fetch(url, init);
  };
  const feed = feedOf({}, flaky);
  feed.start();
  await until('failures while the repository is down', 30_000, async () =>
    feed.stats.failures >= 3 ? true : undefined,
  );
  await receiver.up();
  await until('every event delivered', 60_000, async () =>
    allIds.every((id) => receiver.byId.has(id)) ? true : undefined,
  );
  await until('caught up', 30_000, async () => (feed.deliveredHeight === h.api.chain.head.height ? true : undefined));
  await feed.close();
  assert.ok(feed.stats.failures >= 5);
  const first: string[] = [];
  for (const a of receiver.arrivals) if (!first.includes(a.id)) first.push(a.id);
  assert.equal(first, allIds, 'first arrivals: every event, in chain order');
  const cursor = JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8')) as { chainId: string; height: number };
  assert.equal(cursor, { chainId: 'fhir-history', height: h.api.chain.head.height });
  assert.ok(logs.some((l) => l.startsWith('fhir feed: delivery failed')));
  assert.ok(logs.some((l) => l.startsWith('fhir feed: lag')));
});

test('a new feed resumes after the persisted cursor: nothing already delivered is sent again', async () => {
  const n = receiver.arrivals.length;
  const feed = feedOf();
  feed.start();
  await until('the feed to start', 10_000, async () =>
    logs.some((l) => l.includes('fhir feed: started {"delivered":' + h.api.chain.head.height)) ? true : undefined,
  );
  await feed.close();
  assert.is(receiver.arrivals.length, n);
});

test('a cursor persisted mid-chain resends from there on; a cursor of another chain starts over', async () => {
  const mid = Math.floor(h.api.chain.head.height / 2);
  writeFileSync(join(dir, 'cursor.json'), JSON.stringify({ chainId: 'fhir-history', height: mid }));
  receiver.arrivals.length = 0;
  let feed = feedOf();
  feed.start();
  await until('caught up again', 60_000, async () =>
    feed.deliveredHeight === h.api.chain.head.height ? true : undefined,
  );
  await feed.close();
  const heights = receiver.arrivals.map((a) => Number(a.id.split('-')[0]));
  assert.ok(heights.length > 0 && heights.every((x) => x > mid), 'only blocks after the cursor');
  writeFileSync(join(dir, 'cursor.json'), JSON.stringify({ chainId: 'other-chain', height: 999_999 }));
  receiver.arrivals.length = 0;
  feed = feedOf();
  feed.start();
  await until('caught up from the start', 60_000, async () =>
    feed.deliveredHeight === h.api.chain.head.height ? true : undefined,
  );
  await feed.close();
  assert.equal(
    receiver.arrivals.map((a) => a.id),
    allIds,
  );
});

test.run();
