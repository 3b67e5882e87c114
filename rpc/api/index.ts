import { Type } from '@sinclair/typebox';
import { headerHash } from '../../src/chain/block.js';
import { to0x } from '../../src/codec/bytes.js';
import { Auth, type AuthOptions, defaultAuthOptions } from '../auth/auth.js';
import type { RpcServer } from '../server.js';
import { accessMethods } from './access.js';
import { auditMethods } from './audit.js';
import { authMethods } from './auth.js';
import { chainMethods } from './chain.js';
import { consentMethods } from './consent.js';
import { getIdentity } from './domain.js';
import { defineNodeErrors } from './errors.js';
import { governanceMethods } from './governance.js';
import { NodeGuard } from './guard.js';
import { identityMethods } from './identity.js';
import { EventJson, eventToJson, HeaderJson, headerToJson } from './json.js';
import { netMethods } from './net.js';
import { organizationMethods } from './organization.js';
import { recordMethods } from './record.js';
import { stateMethods } from './state.js';
import { txMethods } from './tx.js';
import type { NodeApi } from './types.js';

export { NODE_ERROR_CODES } from './errors.js';
export type { NodeApi } from './types.js';

const noAuth = (): Auth => {
  throw new Error('sign-in is not set up (registerNodeApi sets it up)');
};

/** Every method of the node API, compiled (the client derives its types from this list). */
export function nodeMethods(api: NodeApi, auth: () => Auth = noAuth) {
  return [
    ...authMethods(auth),
    ...chainMethods(api),
    ...txMethods(api),
    ...stateMethods(api),
    ...netMethods(api),
    ...identityMethods(api),
    ...recordMethods(api),
    ...consentMethods(api),
    ...accessMethods(api),
    ...auditMethods(api),
    ...organizationMethods(api),
    ...governanceMethods(api),
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

export interface NodeApiOptions {
  auth?: Partial<AuthOptions>;
  /** Wall clock of sign-in (tests move it). */
  now?: () => number;
}

/** Sign-in against the node's committed state: an identity's current key, type and suspension. */
export function createAuth(api: NodeApi, o: NodeApiOptions = {}): Auth {
  return new Auth(
    { ...defaultAuthOptions, ...o.auth },
    {
      chainId: api.chain.chainId,
      genesisHash: to0x(api.chain.genesisHash),
      identity: (id) => getIdentity(api, id),
      head: () => api.chain.head,
    },
    o.now,
  );
}

/** Sessions are purged of expired entries this often (they are also purged when the store fills). */
const PURGE_EVERY_BLOCKS = 64;

/**
 * Registers the node's JSON-RPC methods, their error numbers, the subscription topics and the
 * scope rules (sign-in sessions; the server's authToken is the operator's).
 */
export function registerNodeApi(server: RpcServer, api: NodeApi, o: NodeApiOptions = {}): Auth {
  defineNodeErrors(server.errors);
  const auth = createAuth(api, o);
  server.register(...nodeMethods(api, () => auth));
  server.setGuard(new NodeGuard(auth, api, server.logger));
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
    if (block.header.height % PURGE_EVERY_BLOCKS === 0) auth.purge();
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
  return auth;
}
