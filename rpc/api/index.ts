import { Type } from '@sinclair/typebox';
import { headerHash } from '../../src/chain/block.js';
import { to0x } from '../../src/codec/bytes.js';
import type { RpcServer } from '../server.js';
import { accessMethods } from './access.js';
import { auditMethods } from './audit.js';
import { chainMethods } from './chain.js';
import { consentMethods } from './consent.js';
import { defineNodeErrors } from './errors.js';
import { identityMethods } from './identity.js';
import { EventJson, eventToJson, HeaderJson, headerToJson } from './json.js';
import { netMethods } from './net.js';
import { recordMethods } from './record.js';
import { stateMethods } from './state.js';
import { txMethods } from './tx.js';
import type { NodeApi } from './types.js';

export { NODE_ERROR_CODES } from './errors.js';
export type { NodeApi } from './types.js';

/** Every method of the node API, compiled (the client derives its types from this list). */
export function nodeMethods(api: NodeApi) {
  return [
    ...chainMethods(api),
    ...txMethods(api),
    ...stateMethods(api),
    ...netMethods(api),
    ...identityMethods(api),
    ...recordMethods(api),
    ...consentMethods(api),
    ...accessMethods(api),
    ...auditMethods(api),
  ] as const;
}

export const EventsFilter = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 64, description: 'one event type' })),
    kinds: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32, description: 'event types to keep' }),
    ),
    patient: Type.Optional(Type.String({ maxLength: 66 })),
    record: Type.Optional(
      Type.String({ maxLength: 66, description: 'matches `record`, or one of the ids in `records`' }),
    ),
    grantee: Type.Optional(Type.String({ maxLength: 66 })),
  },
  { additionalProperties: false },
);
type EventsFilter = {
  type?: string;
  kinds?: string[];
  patient?: string;
  record?: string;
  grantee?: string;
};

/** `records` is 0x + n concatenated 32-byte ids; a record matches one of them, at an id boundary. */
function namesRecord(records: unknown, record: string): boolean {
  if (typeof records !== 'string' || record.length !== 66) return false;
  const id = record.slice(2).toLowerCase();
  for (let o = 2; o + 64 <= records.length; o += 64) if (records.startsWith(id, o)) return true;
  return false;
}

export function matchEvent(f: EventsFilter | undefined, e: { type: string; attrs: Record<string, unknown> }): boolean {
  if (f === undefined) return true;
  if (f.type !== undefined && f.type !== e.type) return false;
  if (f.kinds !== undefined && f.kinds.length > 0 && !f.kinds.includes(e.type)) return false;
  if (f.patient !== undefined && e.attrs.patient !== f.patient.toLowerCase()) return false;
  if (f.grantee !== undefined && e.attrs.grantee !== f.grantee.toLowerCase()) return false;
  if (f.record !== undefined && e.attrs.record !== f.record.toLowerCase() && !namesRecord(e.attrs.records, f.record))
    return false;
  return true;
}

/** Registers the node's JSON-RPC methods, their error numbers and the subscription topics. */
export function registerNodeApi(server: RpcServer, api: NodeApi): void {
  defineNodeErrors(server.errors);
  server.register(...nodeMethods(api));
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
    summary:
      'Audit events of finalized blocks, filtered by patient, record, grantee and/or event type (access, consent.granted, consent.revoked, record.added, emergency.opened, ...)',
    filter: EventsFilter,
    event: Type.Composite([
      EventJson,
      Type.Object({ height: Type.Number(), time: Type.Number(), txHash: Type.String() }),
    ]),
    match: (f, e: { type: string; attrs: Record<string, unknown> }) => matchEvent(f as EventsFilter | undefined, e),
  });
  api.events.on('committed', ({ block, exec }) => {
    const header = headerToJson(block.header, headerHash(block.header));
    server.publish('newHeads', header);
    server.publish('finalized', { header, txs: exec.txs.map((t) => to0x(t.hash)) });
    for (const r of exec.receipts)
      for (const e of r.events)
        server.publish('events', {
          ...eventToJson(e),
          height: block.header.height,
          time: block.header.time,
          txHash: to0x(r.txHash),
        });
  });
}
