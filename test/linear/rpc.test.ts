/**
 * JSON-RPC input an attacker sizes costs linear time: nesting depth (refused by
 * a linear scan before JSON.parse), long strings full of escapes, batch length.
 */

import { Type } from '@sinclair/typebox';
import { test } from 'uvu';
import { Scope } from '../../rpc/context.js';
import { Dispatcher } from '../../rpc/dispatcher.js';
import { ErrorTable } from '../../rpc/error-codes.js';
import { defineMethod, MethodRegistry } from '../../rpc/methods.js';
import { defaultRpcOptions } from '../../rpc/options.js';
import { assertLinear } from './linear.js';

const silent = { error: () => {}, warn: () => {}, debug: () => {} };

function dispatcher(maxBatchLength: number): Dispatcher {
  const registry = new MethodRegistry();
  registry.add(
    defineMethod({
      name: 'echo_len',
      summary: 'length of a string',
      params: [{ name: 's', schema: Type.String() }],
      result: Type.Number(),
      handler: (p) => p.s.length,
    }),
  );
  return new Dispatcher(
    { ...defaultRpcOptions, maxBatchLength },
    { registry, errors: new ErrorTable(), logger: silent },
  );
}

const scope = (): Scope => new Scope('127.0.0.1', 'http', '127.0.0.1', null, null, 1);

test('JSON nested up to the depth limit costs linear time in its bracket count', async () => {
  const d = dispatcher(100);
  const deep = `${'['.repeat(30)}1${']'.repeat(30)}`;
  await assertLinear(
    'json nesting',
    (n) => {
      const body = Buffer.from(
        `{"jsonrpc":"2.0","id":1,"method":"echo_len","params":[${Array(n).fill(deep).join(',')}]}`,
      );
      return () => d.handle(body, scope());
    },
    500,
  );
});

test('JSON nested beyond the limit is refused after a bounded scan, before parsing', async () => {
  const d = dispatcher(100);
  await assertLinear(
    'json too deep',
    (n) => {
      const body = Buffer.from(
        `{"jsonrpc":"2.0","id":1,"method":"echo_len","params":${'['.repeat(n)}${']'.repeat(n)}}`,
      );
      return () => d.handle(body, scope());
    },
    20_000,
  );
});

test('a long string of escaped quotes and backslashes costs linear time', async () => {
  const d = dispatcher(100);
  await assertLinear(
    'escaped string',
    (n) => {
      // Every quote is escaped, preceded by runs of backslashes: the depth scan looks back over each run once.
      const s = '\\\\\\"'.repeat(n);
      const body = Buffer.from(
        `{"jsonrpc":"2.0","id":1,"method":"echo_len","params":["${s}"],"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
      );
      return () => d.handle(body, scope());
    },
    20_000,
  );
});

test('a batch costs linear time in its length', async () => {
  const d = dispatcher(1_000_000);
  await assertLinear(
    'batch length',
    (n) => {
      const calls = Array.from({ length: n }, (_, i) => ({
        jsonrpc: '2.0',
        id: i,
        method: 'echo_len',
        params: ['abc'],
      }));
      const body = Buffer.from(JSON.stringify(calls));
      return () => d.handle(body, scope());
    },
    500,
  );
});

test.run();
