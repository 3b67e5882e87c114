import { test } from 'uvu';
import * as assert from 'uvu/assert';

type WithResolvers = typeof Promise.withResolvers;
const P = Promise as unknown as { withResolvers?: WithResolvers };
// A fresh evaluation of the module each time (the query string makes a new module instance).
let n = 0;
const load = (): Promise<unknown> => import(new URL(`../../src/polyfill.js?fresh=${n++}`, import.meta.url).href);

test('installs a working Promise.withResolvers when the runtime lacks it', async () => {
  const saved = P.withResolvers;
  try {
    delete P.withResolvers;
    await load();
    assert.type(P.withResolvers, 'function');
    const { promise, resolve } = Promise.withResolvers<number>();
    resolve(42);
    assert.is(await promise, 42);
    const r = Promise.withResolvers<number>();
    r.reject(new Error('no'));
    await r.promise.then(
      () => assert.unreachable('should reject'),
      (e: unknown) => assert.is((e as Error).message, 'no'),
    );
  } finally {
    P.withResolvers = saved;
  }
});

test('leaves an existing implementation in place', async () => {
  const saved = P.withResolvers;
  const native = ((): never => {
    throw new Error('native');
  }) as unknown as WithResolvers;
  try {
    P.withResolvers = native;
    await load();
    assert.is(P.withResolvers, native);
  } finally {
    P.withResolvers = saved;
  }
});

test.run();
