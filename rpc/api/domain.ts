/**
 * Shared pieces of the medical-domain methods: state reads with proofs against the head's
 * stateRoot, the page parameter of index queries and the JSON of index entries.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { EventValue } from '../../src/chain/receipt.js';
import { equal, from0x, to0x } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { MedchainError } from '../../src/errors.js';
import { IDENTITY_TYPE_NAMES } from '../../src/tx/kinds.js';
import { identityKey } from '../../state/domain/keys.js';
import { decodeIdentity, type Identity } from '../../state/domain/values.js';
import { DEFAULT_PAGE, type IndexEntry, type IndexPage, type IndexQuery, MAX_PAGE } from '../../state/index/query.js';
import { encodeStateProof } from '../../state/smt/proof.js';
import { Bytes0x, Hash32, TimeMs, Uint } from '../schema.js';
import { ApiErrorCode } from './errors.js';
import { EventJson } from './json.js';
import type { NodeApi } from './types.js';

/** An id param: a 32-byte identity, record, consent or session id. */
export const Id = (description: string) => Hash32(description);

// ---- state with proofs ----

export const StateProofJson = Type.Object(
  {
    key: Bytes0x({ description: 'the state key' }),
    value: Type.Union([Bytes0x(), Type.Null()], { description: 'canonical CBOR value, null when absent' }),
    proof: Bytes0x({
      description: 'canonical CBOR SMT proof: verifyStateProof(stateRoot, key, value, decodeStateProof(proof))',
    }),
  },
  { description: 'inclusion (value) or non-inclusion (null) proof against `stateRoot`' },
);

export const AtHead = {
  height: Uint('the head height the answer was read at'),
  time: TimeMs('the head block time'),
  stateRoot: Hash32('the head stateRoot every proof in the answer verifies against'),
};

let lastHead: { head: unknown; point: { height: number; time: number; stateRoot: string } } | null = null;

/** Height, time and root of the head: the point every read of one call is made at (hex cached per head). */
export function headPoint(api: NodeApi): { height: number; time: number; stateRoot: string } {
  const h = api.chain.head;
  if (lastHead?.head !== h)
    lastHead = { head: h, point: { height: h.height, time: h.time, stateRoot: to0x(h.stateRoot) } };
  return lastHead.point;
}

/**
 * Bytes of a param the schema already checked as 0x hex (native decode: this is on every call's
 * path; the generic from0x re-validates and parses pair by pair).
 */
export function idOf(hex0x: string): Uint8Array {
  const b = Buffer.from(hex0x.slice(2), 'hex');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The committed value of a state key (reads are synchronous: no block commits mid-call). */
export const readState = (api: NodeApi, key: Uint8Array): Uint8Array | undefined => api.chain.store.get(key);

/** A proof of `key` against the head's stateRoot, with the value it proves. */
export function proveKey(api: NodeApi, key: Uint8Array, value: Uint8Array | undefined = readState(api, key)) {
  const p = api.chain.store.tree.prove(sha256(key));
  // The value must be the one the tree commits to (it is, when read in the same tick).
  const v = value !== undefined && p.leaf !== null && equal(p.leaf.valueHash, sha256(value)) ? value : null;
  return { key: hex0x(key), value: v === null ? null : hex0x(v), proof: hex0x(encodeStateProof(p)) };
}

/** 0x hex through Buffer's native encoder (proofs run to kilobytes). */
export const hex0x = (b: Uint8Array): string =>
  `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;

// ---- identities ----

export const IdentityJson = Type.Object({
  id: Hash32(),
  type: Type.Union([Type.Literal('patient'), Type.Literal('practitioner'), Type.Literal('organization')]),
  pubkey: Bytes0x({ length: 32 }),
  org: Type.Union([Hash32(), Type.Null()], {
    description: 'onboarding (patient) or employing (practitioner) organization',
  }),
  registeredAt: TimeMs(),
  suspended: Type.Boolean(),
  name: Type.Union([Type.String(), Type.Null()], { description: 'public name of an organization' }),
  license: Type.Union([Type.Object({ validFrom: TimeMs(), validUntil: TimeMs() }), Type.Null()]),
});

export const identityToJson = (id: Uint8Array, i: Identity) => ({
  id: to0x(id),
  type: (IDENTITY_TYPE_NAMES[i.type] ?? 'patient') as 'patient' | 'practitioner' | 'organization',
  pubkey: to0x(i.pubkey),
  org: i.org.length === 32 ? to0x(i.org) : null,
  registeredAt: i.registeredAt,
  suspended: i.suspended,
  name: i.name === '' ? null : i.name,
  license: i.licenseUntil > 0 ? { validFrom: i.licenseFrom, validUntil: i.licenseUntil } : null,
});

export function getIdentity(api: NodeApi, id: Uint8Array): Identity | undefined {
  const v = readState(api, identityKey(id));
  return v === undefined ? undefined : decodeIdentity(v);
}

// ---- pages of the audit indexes ----

export const PageParam = Type.Object(
  {
    from: Type.Optional(TimeMs('block time from (inclusive)')),
    to: Type.Optional(TimeMs('block time to (exclusive)')),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: `page size, default ${DEFAULT_PAGE}` }),
    ),
    cursor: Type.Optional(Bytes0x({ length: 22, description: 'the `cursor` of the previous page' })),
    reverse: Type.Optional(Type.Boolean({ description: 'newest first' })),
  },
  { additionalProperties: false, description: 'time range and page of an index query' },
);
export type PageParam = Static<typeof PageParam>;

export function toIndexQuery(p: PageParam | undefined): IndexQuery {
  const q: IndexQuery = {};
  if (p === undefined) return q;
  if (p.from !== undefined && p.to !== undefined && p.to < p.from)
    throw new MedchainError(ApiErrorCode.AUDIT_BAD_RANGE);
  if (p.from !== undefined) q.from = p.from;
  if (p.to !== undefined) q.to = p.to;
  if (p.limit !== undefined) q.limit = p.limit;
  if (p.cursor !== undefined) q.cursor = from0x(p.cursor);
  if (p.reverse !== undefined) q.reverse = p.reverse;
  return q;
}

/** Runs an index query; a cursor the index refuses is the client's error, not ours. */
export async function page(run: () => Promise<IndexPage>): Promise<IndexPage> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RangeError) throw new MedchainError(ApiErrorCode.AUDIT_BAD_CURSOR);
    throw err;
  }
}

export const Cursor = Type.Union([Bytes0x({ length: 22 }), Type.Null()], {
  description: 'pass as page.cursor for the next page; null on the last page',
});

const valueToJson = (v: EventValue): string | number | boolean | null => (v instanceof Uint8Array ? to0x(v) : v);

export const EntryJson = Type.Composite([
  EventJson,
  Type.Object({
    time: TimeMs(),
    height: Uint(),
    receiptIndex: Uint('index of the receipt in the block (the eventsRoot leaf)'),
    seq: Uint('index of the event in the receipt'),
    txHash: Hash32(),
  }),
]);

export const entryToJson = (e: IndexEntry) => ({
  type: e.type,
  attrs: Object.fromEntries(Object.entries(e.attrs).map(([k, v]) => [k, valueToJson(v)])),
  time: e.time,
  height: e.height,
  receiptIndex: e.receipt,
  seq: e.seq,
  txHash: to0x(e.txHash),
});
