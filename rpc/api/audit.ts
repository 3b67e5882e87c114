import { Type } from '@sinclair/typebox';
import { MerkleTree } from '../../src/chain/merkle.js';
import type { EventValue } from '../../src/chain/receipt.js';
import { equal, from0x, to0x } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { IDENTITY_TYPE_NAMES } from '../../src/tx/kinds.js';
import { splitIds } from '../../state/domain/handler.js';
import { recordKey } from '../../state/domain/keys.js';
import { decodeRecord } from '../../state/domain/values.js';
import { IndexName } from '../../state/index/index.js';
import { DEFAULT_PAGE, type IndexEntry, MAX_PAGE, mergePages, queryIndex } from '../../state/index/query.js';
import { defineMethod } from '../methods.js';
import { Bytes0x, Hash32 } from '../schema.js';
import { loadBlock } from './chain.js';
import {
  AtHead,
  Cursor,
  EntryJson,
  entryToJson,
  getIdentity,
  headPoint,
  Id,
  PageParam,
  page,
  readState,
  toIndexQuery,
} from './domain.js';
import { ApiErrorCode } from './errors.js';
import { MerkleProofJson } from './json.js';
import type { NodeApi } from './types.js';

/** Where an audit entry sits in the chain: the receipt (eventsRoot leaf) holding it, with its proof. */
export const EntryProofJson = Type.Object({
  blockHash: Hash32(),
  receipt: Bytes0x({ description: 'canonical CBOR of the receipt that holds the event (eventsRoot leaf)' }),
  receiptProof: MerkleProofJson,
});

/**
 * Audit answers carry the head they were read at, but their proofs are receipt inclusion proofs:
 * each verifies against its own entry's block eventsRoot, not against the head stateRoot.
 */
const AuditAtHead = {
  ...AtHead,
  stateRoot: Hash32(
    "the head stateRoot when the page was read; entry proofs do NOT verify against it: each verifies against the eventsRoot of its own entry's block (chain_getHeader at entry.height)",
  ),
};

const AuditEntryJson = Type.Composite([EntryJson, Type.Object({ proof: Type.Optional(EntryProofJson) })]);

const KindsParam = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 32,
  description:
    'event types to keep (e.g. access, consent.granted, consent.revoked, record.added, emergency.opened); default all',
});

// ---- positions and the merged page ----

interface Source {
  name: IndexName;
  subject: Uint8Array;
  filter?: (e: IndexEntry) => boolean;
}

/**
 * One page over several indexes of the same subject: each index is read from the same cursor, the
 * results are merged in chain order (an event listed by two indexes appears once) and cut to the
 * page size; the cursor is the position of the last entry returned.
 */
async function mergedPage(
  api: NodeApi,
  sources: Source[],
  pg: PageParam | undefined,
  kinds: readonly string[] | undefined,
) {
  const q = toIndexQuery(pg);
  const limit = Math.max(1, Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE));
  const want = kinds === undefined || kinds.length === 0 ? null : new Set(kinds);
  const pages = await Promise.all(
    sources.map((s) =>
      page(() =>
        queryIndex(
          api.chain.db,
          s.name,
          s.subject,
          { ...q, limit },
          (e) => (want === null || want.has(e.type)) && (s.filter?.(e) ?? true),
        ),
      ),
    ),
  );
  // Cut where the first source stopped (a full page or a spent scan budget), so no entry is skipped.
  const merged = mergePages(pages, limit, q.reverse === true);
  return { entries: merged.entries, cursor: merged.cursor === null ? null : to0x(merged.cursor) };
}

/** Receipt and RFC 6962 proof against the block's eventsRoot for each entry (blocks loaded once each). */
async function withProofs(api: NodeApi, entries: IndexEntry[]) {
  const blocks = new Map<number, { hash: string; receipts: readonly Uint8Array[]; tree: MerkleTree }>();
  for (const e of entries) {
    if (blocks.has(e.height)) continue;
    const [{ hash }, receipts] = await Promise.all([loadBlock(api, e.height), api.chain.blocks.getReceipts(e.height)]);
    const list = receipts ?? [];
    blocks.set(e.height, { hash: to0x(hash), receipts: list, tree: MerkleTree.fromLeaves(list) });
  }
  return entries.map((e) => {
    const b = blocks.get(e.height);
    const receipt = b?.receipts[e.receipt];
    if (b === undefined || receipt === undefined) return entryToJson(e);
    return {
      ...entryToJson(e),
      proof: {
        blockHash: b.hash,
        receipt: to0x(receipt),
        receiptProof: {
          index: e.receipt,
          treeSize: b.tree.size,
          leafHash: to0x(b.tree.leafHash(e.receipt)),
          path: b.tree.proof(e.receipt).map(to0x),
          root: to0x(b.tree.root),
        },
      },
    };
  });
}

function namesRecord(v: EventValue | undefined, record: Uint8Array): boolean {
  if (!(v instanceof Uint8Array)) return false;
  return splitIds(v).some((r) => equal(r, record));
}

const ProofsParam = {
  name: 'proofs',
  schema: Type.Boolean({ description: 'include receipt inclusion proofs' }),
  required: false,
} as const;

export function auditMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'audit_query',
      summary:
        'The audit trail of one patient, record or grantee (exactly one): accesses, denials, emergencies, consents, records, delegates, suspensions, in chain order, time-ranged and paged, optionally with receipt inclusion proofs, each against the eventsRoot of its own entry’s block (not the head stateRoot)',
      params: [
        { name: 'patient', schema: Id('patient id'), required: false },
        { name: 'record', schema: Id('record id'), required: false },
        { name: 'grantee', schema: Id('practitioner or organization id'), required: false },
        { name: 'kinds', schema: KindsParam, required: false },
        { name: 'page', schema: PageParam, required: false },
        ProofsParam,
      ],
      result: Type.Object({ ...AuditAtHead, entries: Type.Array(AuditEntryJson), cursor: Cursor }),
      errors: [ApiErrorCode.AUDIT_NO_SUBJECT, ApiErrorCode.AUDIT_BAD_CURSOR, ApiErrorCode.AUDIT_BAD_RANGE],
      handler: async (p) => {
        const given = [p.patient, p.record, p.grantee].filter((x) => x !== undefined).length;
        if (given !== 1) throw new MedchainError(ApiErrorCode.AUDIT_NO_SUBJECT);
        const at = headPoint(api);
        let sources: Source[];
        if (p.patient !== undefined) {
          const s = from0x(p.patient);
          sources = [
            { name: IndexName.DISCLOSURES, subject: s },
            { name: IndexName.CONSENTS_BY_PATIENT, subject: s },
            { name: IndexName.RECORDS_BY_PATIENT, subject: s },
            { name: IndexName.DELEGATES_BY_PATIENT, subject: s },
          ];
        } else if (p.grantee !== undefined) {
          const s = from0x(p.grantee);
          sources = [
            { name: IndexName.ACCESS_BY_GRANTEE, subject: s },
            { name: IndexName.CONSENTS_BY_GRANTEE, subject: s },
            { name: IndexName.FLAGS_BY_GRANTEE, subject: s },
          ];
        } else {
          const record = from0x(p.record as string);
          const rv = readState(api, recordKey(record));
          if (rv === undefined) return { ...at, entries: [], cursor: null };
          const patient = decodeRecord(rv).patient;
          sources = [
            {
              name: IndexName.DISCLOSURES,
              subject: patient,
              filter: (e) => e.type === 'access' && namesRecord(e.attrs.records, record),
            },
            {
              name: IndexName.RECORDS_BY_PATIENT,
              subject: patient,
              filter: (e) => namesRecord(e.attrs.record, record),
            },
            {
              name: IndexName.CONSENTS_BY_PATIENT,
              subject: patient,
              filter: (e) => namesRecord(e.attrs.records, record),
            },
          ];
        }
        const pg = await mergedPage(api, sources, p.page, p.kinds);
        const entries = p.proofs === true ? await withProofs(api, pg.entries) : pg.entries.map(entryToJson);
        return { ...at, entries, cursor: pg.cursor };
      },
    }),
    defineMethod({
      name: 'audit_disclosures',
      summary:
        "A patient's accounting of disclosures (HIPAA §164.528): every access to the patient's records and every emergency access, granted or denied, with the recipient, purpose and time, optionally with receipt inclusion proofs, each against its own block's eventsRoot",
      params: [
        { name: 'patient', schema: Id('patient id') },
        { name: 'page', schema: PageParam, required: false },
        ProofsParam,
      ],
      result: Type.Object({
        ...AuditAtHead,
        disclosures: Type.Array(
          Type.Composite([
            AuditEntryJson,
            Type.Object({
              recipient: Type.Object({
                id: Type.Union([Hash32(), Type.Null()]),
                type: Type.Union([Type.String(), Type.Null()]),
                organization: Type.Union([Hash32(), Type.Null()]),
                organizationName: Type.Union([Type.String(), Type.Null()]),
              }),
              records: Type.Array(Hash32()),
            }),
          ]),
        ),
        cursor: Cursor,
      }),
      errors: [ApiErrorCode.AUDIT_BAD_CURSOR, ApiErrorCode.AUDIT_BAD_RANGE],
      handler: async (p) => {
        const at = headPoint(api);
        const pg = await page(() =>
          queryIndex(api.chain.db, IndexName.DISCLOSURES, from0x(p.patient), toIndexQuery(p.page)),
        );
        const base = p.proofs === true ? await withProofs(api, pg.entries) : pg.entries.map(entryToJson);
        const disclosures = pg.entries.map((e, i) => {
          const g = e.attrs.grantee instanceof Uint8Array ? e.attrs.grantee : null;
          const who = g === null ? undefined : getIdentity(api, g);
          const orgId = who === undefined ? null : who.org.length === 32 ? who.org : who.type === 3 ? g : null;
          const org = orgId === null ? undefined : getIdentity(api, orgId);
          return {
            ...(base[i] as ReturnType<typeof entryToJson>),
            recipient: {
              id: g === null ? null : to0x(g),
              type: who === undefined ? null : (IDENTITY_TYPE_NAMES[who.type] ?? null),
              organization: orgId === null ? null : to0x(orgId),
              organizationName: org === undefined || org.name === '' ? null : org.name,
            },
            records: e.attrs.records instanceof Uint8Array ? splitIds(e.attrs.records).map(to0x) : [],
          };
        });
        return { ...at, disclosures, cursor: pg.cursor === null ? null : to0x(pg.cursor) };
      },
    }),
  ];
}
