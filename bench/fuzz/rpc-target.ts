/**
 * JSON-RPC requests and params, in process through the dispatcher that the
 * HTTP and WebSocket transports share, over a real ChainState with a small
 * medical history (the rpc-node benchmark's fixture). Properties: a reply is
 * well-formed JSON-RPC; no handler throws an uncoded error (-32603, logged as
 * 'handler failed'); every result matches its declared schema (validateResults).
 */

import { defineNodeErrors } from '../../rpc/api/errors.js';
import { createAuth, nodeMethods } from '../../rpc/api/index.js';
import { Scope } from '../../rpc/context.js';
import { Dispatcher } from '../../rpc/dispatcher.js';
import { ErrorTable, JsonRpcCode } from '../../rpc/error-codes.js';
import type { RpcLogger } from '../../rpc/logger.js';
import { MethodRegistry } from '../../rpc/methods.js';
import { defaultRpcOptions } from '../../rpc/options.js';
import { decodeTx } from '../../src/chain/tx.js';
import { to0x } from '../../src/codec/bytes.js';
import { decodeBody } from '../../src/tx/bodies.js';
import { buildFixture, type Fixture } from '../rpc-node.bench.js';
import { txSeeds } from './seeds.js';
import { type Target, Violation } from './targets.js';

const enc = new TextEncoder();
const LONG_POLL_MS = 100;
const CLIENT_GONE = new Error('client gone');

/** Sample values by parameter name; the mutators take it from there. */
function sampleParams(f: Fixture): Record<string, unknown> {
  const p = f.patients[0] as { id: Uint8Array; record: Uint8Array };
  return {
    grantee: to0x(f.practitioners[0] as Uint8Array),
    practitioner: to0x(f.practitioners[1] as Uint8Array),
    patient: to0x(p.id),
    id: to0x(p.id),
    record: to0x(p.record),
    consent: to0x(p.record),
    hash: to0x(p.record),
    action: 'read',
    purpose: 'TREAT',
    proof: true,
    block: 'latest',
    fullTxs: true,
    page: { limit: 5, reverse: true },
    kinds: ['access'],
    status: ['active'],
    type: 'license',
    qualifier: 0,
    at: 1_700_000_000_000,
    key: '0x6964656e746974792f',
    tx: to0x(txSeeds()[0] as Uint8Array),
    topic: 'events',
    filter: { patient: to0x(p.id) },
    subscription: 'x',
  };
}

export function rpcTarget(): Target {
  let fixture: Fixture | undefined;
  let dispatcher: Dispatcher | undefined;
  let logged: string | null = null;
  const logger: RpcLogger = {
    error: (_obj, msg) => {
      logged = msg;
    },
    warn: () => {},
    debug: () => {},
  };
  return {
    name: 'rpc',
    format: 'json',
    maxRandom: 200,
    async seeds() {
      fixture ??= await buildFixture({ flags: { patients: '20' }, log: () => {} });
      const api = {
        ...fixture.api,
        // Stateless admission (decode, kind, body) and no mempool: the tx path up to the pool.
        submitTx: async (bytes: Uint8Array) => {
          const tx = decodeTx(bytes);
          decodeBody(tx);
          return tx.hash;
        },
      };
      const registry = new MethodRegistry();
      // Sign-in set up as registerNodeApi does it (auth_* methods answer, not throw).
      const auth = createAuth(api);
      const methods = nodeMethods(api, () => auth);
      for (const m of methods) registry.add(m);
      const errors = defineNodeErrors(new ErrorTable());
      dispatcher = new Dispatcher({ ...defaultRpcOptions, validateResults: true }, { registry, errors, logger });
      const sample = sampleParams(fixture);
      const seeds: Uint8Array[] = [];
      for (const m of methods) {
        const params = m.spec.params.map((ps) => sample[ps.name] ?? null);
        seeds.push(enc.encode(JSON.stringify({ jsonrpc: '2.0', id: seeds.length, method: m.name, params })));
      }
      const byName = methods.slice(0, 4).map((m, i) => ({
        jsonrpc: '2.0',
        id: `b${i}`,
        method: m.name,
        params: Object.fromEntries(m.spec.params.map((ps) => [ps.name, sample[ps.name] ?? null])),
      }));
      seeds.push(enc.encode(JSON.stringify(byName)));
      return seeds;
    },
    async run(x) {
      if (dispatcher === undefined) throw new Error('rpc target: seeds() first');
      logged = null;
      const scope = new Scope('127.0.0.1', 'http', '127.0.0.1', null, null, 1);
      const pending = dispatcher.handle(Buffer.from(x.buffer, x.byteOffset, x.length), scope);
      let reply: string | null;
      if (typeof pending === 'string' || pending === null) reply = pending;
      else {
        // Long polls (tx_waitFinal) wait by design: the client goes away, as a real one would.
        const d = dispatcher;
        const timer = setTimeout(() => d.closeScope(scope, CLIENT_GONE), LONG_POLL_MS);
        try {
          reply = await pending;
        } finally {
          clearTimeout(timer);
        }
      }
      if (logged !== null) throw new Violation(`logged: ${logged}`);
      if (reply === null) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply);
      } catch {
        throw new Violation('reply is not JSON');
      }
      for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
        const o = r as { jsonrpc?: unknown; error?: { code?: unknown } };
        if (o.jsonrpc !== '2.0') throw new Violation('reply without jsonrpc 2.0');
        if (o.error?.code === JsonRpcCode.INTERNAL_ERROR) throw new Violation('internal error');
      }
      return undefined;
    },
    async close() {
      await fixture?.close();
    },
  };
}
