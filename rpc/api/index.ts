import { Type } from '@sinclair/typebox';
import { headerHash } from '../../src/chain/block.js';
import { to0x } from '../../src/codec/bytes.js';
import type { RpcServer } from '../server.js';
import { chainMethods } from './chain.js';
import { EventJson, eventToJson, HeaderJson, headerToJson } from './json.js';
import { netMethods } from './net.js';
import { stateMethods } from './state.js';
import { txMethods } from './tx.js';
import type { NodeApi } from './types.js';

export type { NodeApi } from './types.js';

/** Registers the node's JSON-RPC methods and subscription topics. */
export function registerNodeApi(server: RpcServer, api: NodeApi): void {
  server.register(...chainMethods(api), ...txMethods(api), ...stateMethods(api), ...netMethods(api));
  server.defineTopic({
    name: 'newHeads',
    summary: 'Every new block header',
    filter: Type.Object({}),
    event: HeaderJson,
    match: () => true,
  });
  server.defineTopic({
    name: 'finalized',
    summary: 'Every finalized block (BFT: as soon as it is committed) with its tx hashes',
    filter: Type.Object({}),
    event: Type.Object({ header: HeaderJson, txs: Type.Array(Type.String()) }),
    match: () => true,
  });
  server.defineTopic({
    name: 'events',
    summary: 'Audit events of finalized blocks, filtered by attribute (patient, record, grantee...) and/or type',
    filter: Type.Object({
      type: Type.Optional(Type.String()),
      patient: Type.Optional(Type.String()),
      record: Type.Optional(Type.String()),
      grantee: Type.Optional(Type.String()),
    }),
    event: Type.Composite([EventJson, Type.Object({ height: Type.Number(), txHash: Type.String() })]),
    match: (f, e: { type: string; attrs: Record<string, unknown> }) =>
      f === undefined ||
      ((f.type === undefined || f.type === e.type) &&
        (f.patient === undefined || e.attrs.patient === f.patient) &&
        (f.record === undefined || e.attrs.record === f.record) &&
        (f.grantee === undefined || e.attrs.grantee === f.grantee)),
  });
  api.events.on('committed', ({ block, exec }) => {
    const header = headerToJson(block.header, headerHash(block.header));
    server.publish('newHeads', header);
    server.publish('finalized', { header, txs: exec.txs.map((t) => to0x(t.hash)) });
    for (const r of exec.receipts)
      for (const e of r.events)
        server.publish('events', { ...eventToJson(e), height: block.header.height, txHash: to0x(r.txHash) });
  });
}
