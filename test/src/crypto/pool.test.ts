import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8 } from '../../../src/codec/bytes.js';
import {
  CryptoErrorCode,
  publicKeyOf,
  randomSecretKey,
  SMALL_ORDER_ENCODINGS,
  signFast,
} from '../../../src/crypto/ed25519.js';
import { VerifierPool, type VerifyItem } from '../../../src/crypto/pool/index.js';
import { isCoded } from '../../../src/errors.js';

const keys = Array.from({ length: 4 }, () => {
  const sk = randomSecretKey();
  return { sk, pk: publicKeyOf(sk) };
});

function validItem(i: number): VerifyItem {
  const { sk, pk } = keys[i % keys.length] as { sk: Uint8Array; pk: Uint8Array };
  const msg = utf8(`item ${i}`);
  return { msg, sig: signFast(msg, sk), pk };
}

/** Every `every`-th item is broken in one of several ways. */
function mixed(n: number, every: number): { items: VerifyItem[]; bad: number[] } {
  const items: VerifyItem[] = [];
  const bad: number[] = [];
  for (let i = 0; i < n; i++) {
    const it = validItem(i);
    if (i % every === every - 1) {
      bad.push(i);
      const sig = it.sig.slice();
      switch (i % 5) {
        case 0:
          sig[5] = (sig[5] as number) ^ 1;
          items.push({ ...it, sig });
          break;
        case 1:
          items.push({ ...it, msg: utf8('other') });
          break;
        case 2:
          items.push({ ...it, sig: sig.subarray(0, 63) });
          break;
        case 3:
          items.push({ ...it, pk: SMALL_ORDER_ENCODINGS[0] as Uint8Array });
          break;
        default:
          items.push({ ...it, pk: (keys[(i + 1) % keys.length] as { pk: Uint8Array }).pk });
      }
    } else items.push(it);
  }
  return { items, bad };
}

const falseIndices = (rs: boolean[]): number[] => rs.flatMap((ok, i) => (ok ? [] : [i]));

test('verifyMany reports exactly the invalid indices', async () => {
  const pool = new VerifierPool({ workers: 2 });
  try {
    const { items, bad } = mixed(40, 3);
    assert.equal(falseIndices(await pool.verifyMany(items)), bad);
  } finally {
    await pool.close();
  }
});

test('verifyMany splits a large input across workers and keeps the order', async () => {
  const pool = new VerifierPool({ workers: 2, maxJobItems: 50 });
  try {
    const { items, bad } = mixed(600, 7);
    const rs = await pool.verifyMany(items);
    assert.is(rs.length, 600);
    assert.equal(falseIndices(rs), bad);
  } finally {
    await pool.close();
  }
});

test('verifyMany of an empty input is empty', async () => {
  const pool = new VerifierPool({ workers: 1 });
  try {
    assert.equal(await pool.verifyMany([]), []);
  } finally {
    await pool.close();
  }
});

test('malformed items are false, never thrown', async () => {
  const pool = new VerifierPool({ workers: 1 });
  try {
    const junk = [null, {}, { msg: 'x', sig: new Uint8Array(64), pk: new Uint8Array(32) }] as unknown as VerifyItem[];
    assert.equal(await pool.verifyMany([...junk, validItem(0)]), [false, false, false, true]);
    assert.is(await pool.verify(utf8('m'), new Uint8Array(3), new Uint8Array(32)), false);
  } finally {
    await pool.close();
  }
});

test('many concurrent verify() calls (batchable, immediate, priority) resolve correctly', async () => {
  const pool = new VerifierPool({ workers: 2, maxBatch: 16, maxWaitMs: 5 });
  try {
    const { items, bad } = mixed(200, 4);
    const rs = await Promise.all(
      items.map((it, i) => pool.verify(it.msg, it.sig, it.pk, { batchable: i % 3 !== 0, priority: i % 7 === 0 })),
    );
    assert.equal(falseIndices(rs), bad);
  } finally {
    await pool.close();
  }
});

test('a full batch is sent without waiting for the timer', async () => {
  const pool = new VerifierPool({ workers: 1, maxBatch: 4, maxWaitMs: 60_000 });
  try {
    const { items } = mixed(4, 100);
    const rs = await Promise.all(items.map((it) => pool.verify(it.msg, it.sig, it.pk, { batchable: true })));
    assert.equal(rs, [true, true, true, true]);
  } finally {
    await pool.close();
  }
});

test('flushWhenIdle: a lone request goes to an idle worker at once, a backlog follows as each job returns', async () => {
  // Neither the timer (an hour) nor the batch size (1000) would send these: a regression fails
  // the race below instead of hanging.
  const pool = new VerifierPool({ workers: 1, maxBatch: 1000, maxWaitMs: 3_600_000, flushWhenIdle: true });
  const stuck = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('never sent')), 20_000).unref())]);
  try {
    const one = validItem(0);
    assert.is(await stuck(pool.verify(one.msg, one.sig, one.pk, { batchable: true })), true);
    const { items, bad } = mixed(60, 5);
    const rs = await stuck(Promise.all(items.map((it) => pool.verify(it.msg, it.sig, it.pk, { batchable: true }))));
    assert.equal(falseIndices(rs), bad);
  } finally {
    await pool.close();
  }
});

test('close() while idle resolves, and later calls reject with CRYPTO_POOL_CLOSED', async () => {
  const pool = new VerifierPool({ workers: 2 });
  await pool.close();
  await pool.close(); // idempotent
  const it = validItem(0);
  for (const call of [() => pool.verify(it.msg, it.sig, it.pk), () => pool.verifyMany([it])]) {
    try {
      await call();
      assert.unreachable('should reject');
    } catch (err) {
      assert.ok(isCoded(err, CryptoErrorCode.POOL_CLOSED));
    }
  }
});

test('close() rejects buffered and in-flight requests with CRYPTO_POOL_CLOSED', async () => {
  const pool = new VerifierPool({ workers: 1, maxBatch: 1000, maxWaitMs: 60_000 });
  const it = validItem(1);
  const buffered = pool.verify(it.msg, it.sig, it.pk, { batchable: true });
  const many = pool.verifyMany(mixed(300, 1000).items);
  const settled = Promise.allSettled([buffered, many]);
  await pool.close();
  for (const s of await settled) {
    assert.is(s.status, 'rejected');
    if (s.status === 'rejected') assert.ok(isCoded(s.reason, CryptoErrorCode.POOL_CLOSED));
  }
});

test('a priority verifyMany overtakes queued admission jobs: only the job already in flight goes first', async () => {
  const pool = new VerifierPool({ workers: 1, maxJobsPerWorker: 1, maxJobItems: 32 });
  try {
    const order: string[] = [];
    const admission = Array.from({ length: 8 }, (_, k) =>
      pool.verifyMany(mixed(32, 1000).items).then(() => order.push(`admission ${k}`)),
    );
    const { items, bad } = mixed(32, 5);
    const consensus = pool.verifyMany(items, { priority: true }).then((rs) => {
      order.push('consensus');
      return rs;
    });
    await Promise.all(admission);
    assert.equal(falseIndices(await consensus), bad);
    assert.equal(order.slice(0, 2), ['admission 0', 'consensus']);
  } finally {
    await pool.close();
  }
});

test('priority work does not starve admission: while both wait they share the worker priorityWeight : 1', async () => {
  const pool = new VerifierPool({ workers: 1, maxJobsPerWorker: 1, maxJobItems: 32, priorityWeight: 1 });
  try {
    const order: string[] = [];
    const inFlight = pool.verifyMany(mixed(32, 1000).items).then(() => order.push('admission 0'));
    const queued = pool.verifyMany(mixed(32, 1000).items).then(() => order.push('admission 1'));
    // Six priority jobs of 32: one goes, then the waiting admission job (32 for 32), then the other five.
    const consensus = pool.verifyMany(mixed(192, 1000).items, { priority: true }).then(() => order.push('consensus'));
    await Promise.all([inFlight, queued, consensus]);
    assert.equal(order, ['admission 0', 'admission 1', 'consensus']);
  } finally {
    await pool.close();
  }
});

test("a vote's priority verify() goes ahead of a proposal's queued priority verifyMany chunks", async () => {
  const pool = new VerifierPool({ workers: 1, maxJobsPerWorker: 1, maxJobItems: 32 });
  try {
    const order: string[] = [];
    const inFlight = pool.verifyMany(mixed(32, 1000).items).then(() => order.push('admission'));
    const proposal = pool.verifyMany(mixed(96, 1000).items, { priority: true }).then(() => order.push('proposal'));
    const v = validItem(3);
    const vote = pool.verify(v.msg, v.sig, v.pk, { priority: true }).then((ok) => order.push(`vote ${ok}`));
    await Promise.all([inFlight, proposal, vote]);
    assert.equal(order, ['admission', 'vote true', 'proposal']);
  } finally {
    await pool.close();
  }
});

test('backlog() counts the signatures waiting for a worker, of both classes and the batch buffer; waitMs() their age', async () => {
  const pool = new VerifierPool({ workers: 1, maxJobsPerWorker: 1, maxJobItems: 32, maxWaitMs: 5 });
  try {
    assert.is(pool.backlog(), 0);
    // Three jobs of 32: the first goes to the worker at once, two wait.
    const many = pool.verifyMany(mixed(96, 1000).items);
    const urgent = pool.verifyMany(mixed(32, 1000).items, { priority: true });
    const one = validItem(7);
    const buffered = pool.verify(one.msg, one.sig, one.pk, { batchable: true });
    assert.is(pool.backlog(), 64 + 32 + 1);
    assert.is(pool.stats().backlog, 97);
    // ...and waitMs how long the oldest of them has waited: it grows while they wait.
    const w0 = pool.waitMs();
    const t = performance.now();
    while (performance.now() - t < 2);
    assert.ok(pool.waitMs() > w0);
    await Promise.all([many, urgent, buffered]);
    assert.is(pool.backlog(), 0);
    assert.is(pool.waitMs(), 0);
  } finally {
    await pool.close();
  }
});

test.run();
