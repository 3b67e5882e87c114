/**
 * Sync ranges and WebSocket subscription filters cost linear time in what a
 * peer or a client sizes: the blocks a range asks for, the ids in an event's
 * `records` a record filter scans, the subscriptions an event is matched against.
 */
import { Type } from '@sinclair/typebox';
import { test } from 'uvu';
import { defaultSyncOptions, encodeSyncRequest, syncHandler, syncRange } from '../../p2p/sync.js';
import { matchEvent } from '../../rpc/api/index.js';
import { OPERATOR } from '../../rpc/auth/caller.js';
import type { SubscriptionSink } from '../../rpc/context.js';
import { Topics } from '../../rpc/topics.js';
import { assertLinear } from './linear.js';

const BLOCK = new Uint8Array(200);
const CERT = new Uint8Array(100);
const source = (head: number) => ({
  headHeight: () => head,
  getBlock: async (h: number) => (h <= head ? BLOCK : undefined),
  getCert: async (h: number) => (h <= head ? CERT : undefined),
});
const UNBOUNDED = { ...defaultSyncOptions, maxBlocks: 1_000_000, maxResponseBytes: 1 << 30, pipeline: 3 };

test('serving a sync range is linear in the blocks asked for', async () => {
  await assertLinear(
    'sync serve range',
    (n) => {
      const serve = syncHandler(source(n), UNBOUNDED);
      const req = encodeSyncRequest(1, n);
      return () => serve(req);
    },
    500,
  );
});

test('fetching a sync range is linear in its length (pipelined requests, in order)', async () => {
  const opts = { ...defaultSyncOptions, maxBlocks: 64, maxResponseBytes: 1 << 24, pipeline: 3 };
  await assertLinear(
    'sync fetch range',
    (n) => {
      const serve = syncHandler(source(n), opts);
      const rr = { request: (_peer: string, req: Uint8Array) => serve(req) };
      return () => syncRange(rr, 'peer', 1, n, async () => {}, opts);
    },
    500,
  );
});

const hex = (i: number): string => `0x${i.toString(16).padStart(64, '0')}`;

test('a record filter is linear in the ids of the event it scans', async () => {
  await assertLinear(
    'records filter',
    (n) => {
      const records = `0x${Array.from({ length: n }, (_, i) => hex(i).slice(2)).join('')}`;
      const event = { type: 'access', attrs: { records } };
      const filter = { record: hex(n - 1) };
      return () => matchEvent(filter, event);
    },
    2000,
  );
});

test('publishing an event is linear in the number of filtered subscriptions', async () => {
  await assertLinear(
    'subscriptions',
    (n) => {
      const topics = new Topics(1_000_000, false, { error: () => {}, warn: () => {}, debug: () => {} });
      topics.define({
        name: 'events',
        summary: 'events',
        filter: Type.Object({ patient: Type.Optional(Type.String()), kinds: Type.Optional(Type.Array(Type.String())) }),
        match: (f, e: { type: string; attrs: Record<string, unknown> }) => matchEvent(f as never, e),
      });
      const sink: SubscriptionSink = { subscriptions: new Set(), send: () => {}, caller: OPERATOR };
      for (let i = 0; i < n; i++)
        topics.subscribe(sink, 'events', { patient: hex(i % 7), kinds: ['access', 'x', 'y'] });
      const event = { type: 'access', attrs: { patient: hex(3) } };
      return () => topics.publish('events', event);
    },
    1000,
  );
});

test.run();
