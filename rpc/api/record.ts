import { Type } from '@sinclair/typebox';
import { from0x, to0x } from '../../src/codec/bytes.js';
import { PURPOSE_NAMES, RESOURCE_TYPES } from '../../src/tx/kinds.js';
import { recordKey } from '../../state/domain/keys.js';
import { decodeRecord, RecordFlag, type RecordPointer } from '../../state/domain/values.js';
import { IndexName } from '../../state/index/index.js';
import { queryIndex } from '../../state/index/query.js';
import { defineMethod } from '../methods.js';
import { Bytes0x, Hash32, TimeMs } from '../schema.js';
import { decideAccess } from './access.js';
import {
  AtHead,
  Cursor,
  headPoint,
  Id,
  PageParam,
  page,
  proveKey,
  readState,
  StateProofJson,
  toIndexQuery,
} from './domain.js';
import type { NodeApi } from './types.js';

/** The patient's newest records weighed by record_listForGrantee: bounded work per call. */
export const GRANTEE_SCAN = 500;

export const RecordJson = Type.Object({
  id: Hash32(),
  patient: Hash32(),
  resourceType: Type.String({ description: 'FHIR resource type' }),
  custodian: Hash32('organization holding the ciphertext'),
  author: Hash32(),
  createdAt: TimeMs(),
  erased: Type.Boolean(),
  erasedAt: Type.Union([TimeMs(), Type.Null()]),
  legalHold: Type.Boolean(),
  commitment: Type.Union([Bytes0x({ length: 32 }), Type.Null()], {
    description: 'salted commitment; null once erased',
  }),
  locator: Type.Union([Bytes0x(), Type.Null()], { description: 'opaque locator; null once erased' }),
  deletionReceipt: Type.Union([Hash32(), Type.Null()], {
    description:
      "sha256 of the custodian's signed deletion receipt payload, anchored by its ATTEST_DELETION tx; null until attested",
  }),
});

export const recordToJson = (id: Uint8Array, r: RecordPointer) => {
  const erased = (r.flags & RecordFlag.ERASED) !== 0;
  return {
    id: to0x(id),
    patient: to0x(r.patient),
    resourceType: RESOURCE_TYPES[r.resourceType] ?? String(r.resourceType),
    custodian: to0x(r.custodian),
    author: to0x(r.author),
    createdAt: r.createdAt,
    erased,
    erasedAt: erased ? r.erasedAt : null,
    legalHold: (r.flags & RecordFlag.LEGAL_HOLD) !== 0,
    commitment: erased ? null : to0x(r.commitment),
    locator: erased ? null : to0x(r.locator),
    deletionReceipt: r.deletionReceipt === undefined ? null : to0x(r.deletionReceipt),
  };
};

export function recordMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'record_get',
      summary:
        'A record pointer (or its tombstone after erasure) with a state proof; null with a non-inclusion proof when unknown',
      params: [{ name: 'record', schema: Id('record id') }],
      result: Type.Object({ ...AtHead, record: Type.Union([RecordJson, Type.Null()]), proof: StateProofJson }),
      handler: (p) => {
        const id = from0x(p.record);
        const key = recordKey(id);
        const v = readState(api, key);
        return {
          ...headPoint(api),
          record: v === undefined ? null : recordToJson(id, decodeRecord(v)),
          proof: proveKey(api, key, v),
        };
      },
    }),
    defineMethod({
      name: 'record_listByPatient',
      summary:
        "A patient's record pointers in order of creation (block time), as they stand now (erased ones as tombstones)",
      params: [
        { name: 'patient', schema: Id('patient id') },
        { name: 'page', schema: PageParam, required: false },
      ],
      result: Type.Object({ ...AtHead, records: Type.Array(RecordJson), cursor: Cursor }),
      errors: ['AUDIT_BAD_CURSOR', 'AUDIT_BAD_RANGE'],
      handler: async (p) => {
        const q = toIndexQuery(p.page);
        const pg = await page(() =>
          queryIndex(
            api.chain.db,
            IndexName.RECORDS_BY_PATIENT,
            from0x(p.patient),
            q,
            (e) => e.type === 'record.added',
          ),
        );
        const at = headPoint(api);
        const records = recordsOf(api, pg.entries, () => ({}));
        return { ...at, records, cursor: pg.cursor === null ? null : to0x(pg.cursor) };
      },
    }),
    defineMethod({
      name: 'record_listForGrantee',
      summary: `The records of a patient that a live consent lets the grantee read now, with the purposes it may read them for (the patient's newest ${GRANTEE_SCAN} records are weighed; nothing about the others is returned)`,
      params: [
        { name: 'grantee', schema: Id('grantee id') },
        { name: 'patient', schema: Id('patient id') },
      ],
      result: Type.Object({
        ...AtHead,
        records: Type.Array(
          Type.Composite([
            RecordJson,
            Type.Object({ purposes: Type.Array(Type.String({ description: 'HL7 v3 ActReason code' })) }),
          ]),
        ),
      }),
      handler: async (p) => {
        const grantee = from0x(p.grantee);
        const pg = await queryIndex(
          api.chain.db,
          IndexName.RECORDS_BY_PATIENT,
          from0x(p.patient),
          { limit: GRANTEE_SCAN, reverse: true },
          (e) => e.type === 'record.added',
        );
        const at = headPoint(api);
        const records = recordsOf(api, pg.entries, (id) => {
          // The one access rule at head time, per purpose: a consent covers it (not an emergency session).
          const purposes = PURPOSES.filter((_, i) => {
            const d = decideAccess(api, grantee, id, 'read', PURPOSE_CODES[i] as number);
            return d.granted && d.consent !== null;
          });
          return purposes.length === 0 ? null : { purposes };
        });
        return { ...at, records };
      },
    }),
  ];
}

const PURPOSE_CODES = PURPOSE_NAMES.flatMap((n, i) => (n === '' ? [] : [i]));
const PURPOSES = PURPOSE_NAMES.filter((n) => n !== '');

/**
 * The records `record.added` index entries point to, as they stand now, each with what `keep` adds
 * to it (null: left out, judged before the record is read).
 */
function recordsOf<T extends object>(
  api: NodeApi,
  entries: readonly { attrs: Readonly<Record<string, unknown>> }[],
  keep: (id: Uint8Array) => T | null,
): (ReturnType<typeof recordToJson> & T)[] {
  const out: (ReturnType<typeof recordToJson> & T)[] = [];
  for (const e of entries) {
    const id = e.attrs.record;
    if (!(id instanceof Uint8Array)) continue;
    const extra = keep(id);
    if (extra === null) continue;
    const v = readState(api, recordKey(id));
    if (v !== undefined) out.push({ ...recordToJson(id, decodeRecord(v)), ...extra });
  }
  return out;
}
