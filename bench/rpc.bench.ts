/**
 * RPC server throughput against the machine's own limit: a bare node:http JSON echo server driven
 * by the same pipelined client in the same run (bench/rpc-load.ts).
 */
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { Hash32, TimeMs, Uint } from '../rpc/schema.js';
import { opsPerSecondSync, round } from './measure.js';
import { baselineReqPerSec, ECHO_BODY, measureRpc } from './rpc-load.js';
import type { Benchmark } from './types.js';

const ParamsLike = Type.Object({
  patient: Hash32(),
  grantee: Hash32(),
  height: Uint(),
  notBefore: TimeMs(),
  purposes: Type.Array(Type.String({ maxLength: 16 }), { maxItems: 8 }),
});
const sample = {
  patient: `0x${'ab'.repeat(32)}`,
  grantee: `0x${'cd'.repeat(32)}`,
  height: 123456,
  notBefore: 1_700_000_000_000,
  purposes: ['TREAT', 'ETREAT'],
};

export const benchmarks: Benchmark[] = [
  {
    id: 'rpc.http.baseline',
    async run(ctx) {
      return { id: 'rpc.http.baseline', ops_per_s: round(await baselineReqPerSec(ctx)) };
    },
  },
  {
    id: 'rpc.server.echo',
    run: (ctx) =>
      measureRpc(
        'rpc.server.echo',
        ctx,
        (server) => {
          server.defineMethod({
            name: 'bench_echo',
            summary: 'Returns its argument',
            params: [{ name: 'value', schema: Type.String({ maxLength: 256 }) }],
            result: Type.String(),
            handler: (p) => p.value,
          });
        },
        ECHO_BODY,
      ),
  },
  {
    // Head to head: the compiled checker is what the server uses for params.
    id: 'rpc.params.validate',
    async run() {
      const check = TypeCompiler.Compile(ParamsLike);
      const batch = 1000;
      const compiled = opsPerSecondSync(() => {
        for (let i = 0; i < batch; i++) check.Check(sample);
      }, batch);
      const dynamic = opsPerSecondSync(() => {
        for (let i = 0; i < batch; i++) Value.Check(ParamsLike, sample);
      }, batch);
      return {
        id: 'rpc.params.validate',
        ops_per_s: round(compiled),
        value_check_ops_per_s: round(dynamic),
        speedup: round(compiled / dynamic, 1),
      };
    },
  },
];
