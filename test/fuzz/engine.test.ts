/** The fuzz engine itself: it must report every kind of failure, and replay an input from (seed, index). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inputAt, runCampaign } from '../../bench/fuzz/engine.js';
import { type Target, Violation } from '../../bench/fuzz/targets.js';
import { MedchainError } from '../../src/errors.js';

const SEEDS = [Uint8Array.of(0x82, 0x01, 0x02)];

function target(run: Target['run']): Target {
  return { name: 'probe', format: 'cbor', maxRandom: 8, seeds: () => SEEDS, run };
}

/** Accepts the seed; `other` decides every other input. */
const onSeed = (other: (x: Uint8Array) => Uint8Array | undefined) => (x: Uint8Array) =>
  x.length === 3 && x.every((b, i) => b === SEEDS[0]?.[i]) ? x : other(x);

const opts = { inputs: 200, seed: 1, maxInputMs: 50 };

test('an uncoded exception is a crash', async () => {
  const r = await runCampaign(
    target(
      onSeed(() => {
        throw new TypeError('boom');
      }),
    ),
    opts,
  );
  assert.is(r.failures[0]?.kind, 'crash');
  assert.match(r.failures[0]?.detail ?? '', 'TypeError: boom');
});

test('a coded MedchainError is a clean rejection, counted by code', async () => {
  const r = await runCampaign(
    target(
      onSeed(() => {
        throw new MedchainError('PROBE_BAD');
      }),
    ),
    opts,
  );
  assert.is(r.failures.length, 0);
  assert.ok((r.codes.PROBE_BAD ?? 0) > 0);
});

test('an accepted input that re-encodes differently breaks the round trip', async () => {
  const r = await runCampaign(target(onSeed(() => Uint8Array.of(0))), opts);
  assert.is(r.failures[0]?.kind, 'roundtrip');
});

test('a Violation thrown by a target is reported as such', async () => {
  const r = await runCampaign(
    target(
      onSeed(() => {
        throw new Violation('bad reply');
      }),
    ),
    opts,
  );
  assert.is(r.failures[0]?.kind, 'violation');
});

test('an input over the time bound (twice) is slow', async () => {
  // 60 ms of CPU, however busy the machine is.
  const spin = (): undefined => {
    const t0 = process.cpuUsage();
    for (;;) {
      const d = process.cpuUsage(t0);
      if (d.user + d.system >= 60_000) return undefined;
    }
  };
  const r = await runCampaign(target(onSeed(spin)), { ...opts, inputs: 3, maxInputMs: 20 });
  assert.is(r.failures[0]?.kind, 'slow');
});

test('a seed the target refuses fails the campaign up front', async () => {
  let threw = false;
  try {
    await runCampaign(
      target(() => {
        throw new MedchainError('NO');
      }),
      opts,
    );
  } catch {
    threw = true;
  }
  assert.ok(threw);
});

test('input i is a pure function of (seed, i): --only replays it', async () => {
  const t = target((x) => x);
  assert.equal(inputAt(9, 1234, SEEDS, t), inputAt(9, 1234, SEEDS, t));
  assert.not.equal(inputAt(9, 1234, SEEDS, t), inputAt(10, 1234, SEEDS, t));
  let seen: Uint8Array | undefined;
  await runCampaign(
    target((x) => {
      seen = x;
      return x;
    }),
    { ...opts, only: 1234, seed: 9 },
  );
  assert.equal(seen, inputAt(9, 1234, SEEDS, t));
});

test('a campaign split at --from runs exactly the inputs of the whole one, and says where to resume', async () => {
  const seen = (into: string[]) =>
    target(
      onSeed((x) => {
        into.push(Buffer.from(x).toString('hex'));
        return undefined;
      }),
    );
  const whole: string[] = [];
  const parts: string[] = [];
  const all = await runCampaign(seen(whole), { ...opts, inputs: 300 });
  const a = await runCampaign(seen(parts), { ...opts, inputs: 120 });
  const b = await runCampaign(seen(parts), { ...opts, from: a.next, inputs: 300 - a.next });
  assert.equal([a.from, a.next, b.from, b.next, all.next], [0, 120, 120, 300, 300]);
  assert.equal(parts, whole);
});

test.run();
