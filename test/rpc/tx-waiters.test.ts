/**
 * tx_waitFinal's index (#12 low): pending waits are found by tx hash, so a committed block costs one
 * lookup per tx whatever the number of waiters; nothing listens to commits while no one waits.
 */
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TxWaiters } from '../../rpc/api/tx-waiters.js';
import type { NodeApi } from '../../rpc/api/types.js';

function fakeApi(): { api: NodeApi; events: EventEmitter; lookups: { n: number } } {
  const events = new EventEmitter();
  const lookups = { n: 0 };
  const api = {
    events,
    chain: {
      blocks: {
        getTxLocation: async () => {
          lookups.n++;
          return undefined;
        },
      },
    },
  } as unknown as NodeApi;
  return { api, events, lookups };
}

const hash = (i: number): Uint8Array => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(28, i);
  return h;
};

const commit = (events: EventEmitter, height: number, hashes: Uint8Array[]): void => {
  events.emit('committed', { block: { header: { height } }, exec: { txs: hashes.map((h) => ({ hash: h })) } });
};

test('a committed block resolves exactly the waits on its txs, at their index', async () => {
  const { api, events } = fakeApi();
  const w = new TxWaiters(api);
  const signal = (): AbortSignal => new AbortController().signal;
  const waits = Array.from({ length: 1000 }, (_, i) => w.wait(hash(i), 60_000, signal()));
  const twice = w.wait(hash(7), 60_000, signal());
  assert.is(w.size, 1001);
  assert.is(events.listenerCount('committed'), 1, 'one listener for all waits');
  commit(events, 5, [hash(5000), hash(7), hash(3)]);
  assert.equal(await waits[7], { height: 5, index: 1 });
  assert.equal(await twice, { height: 5, index: 1 });
  assert.equal(await waits[3], { height: 5, index: 2 });
  assert.is(w.size, 998);
  const ctl = new AbortController();
  const aborted = w.wait(hash(1), 60_000, ctl.signal);
  ctl.abort();
  assert.is(await aborted, null);
  commit(
    events,
    6,
    Array.from({ length: 1000 }, (_, i) => hash(i)),
  );
  const all = await Promise.all(waits);
  assert.ok(all.every((loc) => loc !== null));
  assert.is(w.size, 0);
  assert.is(events.listenerCount('committed'), 0, 'no listener once no one waits');
});

test('a wait times out with null and leaves nothing behind', async () => {
  const { api, events } = fakeApi();
  const w = new TxWaiters(api);
  assert.is(await w.wait(hash(1), 1, new AbortController().signal), null);
  assert.is(w.size, 0);
  assert.is(events.listenerCount('committed'), 0);
});

test.run();
