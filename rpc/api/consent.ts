import { Type } from '@sinclair/typebox';
import { decodeReceipt, TxStatus } from '../../src/chain/receipt.js';
import { decodeTx } from '../../src/chain/tx.js';
import { equal, from0x, to0x } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { BODY_CODECS } from '../../src/tx/bodies.js';
import { PURPOSE_NAMES, RESOURCE_TYPES, TxKind } from '../../src/tx/kinds.js';
import { splitIds } from '../../state/domain/handler.js';
import { consentKey } from '../../state/domain/keys.js';
import {
  C_ACTIONS,
  C_EXPIRES,
  C_ID,
  C_NOT_BEFORE,
  C_PURPOSES,
  C_RECORDS,
  C_REVOKED,
  C_TYPES,
  type ConsentEntry,
  decodeConsents,
} from '../../state/domain/values.js';
import { IndexName } from '../../state/index/index.js';
import { type IndexEntry, queryIndex } from '../../state/index/query.js';
import { defineMethod } from '../methods.js';
import { Hash32, TimeMs } from '../schema.js';
import { loadBlock } from './chain.js';
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
import { ApiErrorCode } from './errors.js';
import type { NodeApi } from './types.js';

export const CONSENT_STATUS = ['active', 'pending', 'expired', 'revoked', 'removed'] as const;
export type ConsentStatus = (typeof CONSENT_STATUS)[number];

export const ConsentJson = Type.Object({
  id: Hash32('consent id: the hash of the granting transaction'),
  patient: Hash32(),
  grantee: Hash32(),
  records: Type.Array(Hash32()),
  resourceTypes: Type.Array(Type.String()),
  actions: Type.Array(Type.Union([Type.Literal('read'), Type.Literal('write')])),
  purposes: Type.Array(Type.String({ description: 'HL7 v3 ActReason code' })),
  notBefore: TimeMs(),
  expiresAt: TimeMs(),
  revokedAt: Type.Union([TimeMs(), Type.Null()]),
  status: Type.Union(
    CONSENT_STATUS.map((s) => Type.Literal(s)),
    {
      description: 'at the head block time; removed: no longer in state (revoked or expired, dropped to make room)',
    },
  ),
});

const bitsToNames = (mask: number, names: readonly string[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) if ((mask >>> i) & 1 && names[i] !== '') out.push(names[i] as string);
  return out;
};
const actionsOf = (m: number): ('read' | 'write')[] => [
  ...(m & 1 ? ['read' as const] : []),
  ...(m & 2 ? ['write' as const] : []),
];

export function consentStatus(c: ConsentEntry, time: number): ConsentStatus {
  if (c[C_REVOKED] !== 0) return 'revoked';
  if (time >= c[C_EXPIRES]) return 'expired';
  if (time < c[C_NOT_BEFORE]) return 'pending';
  return 'active';
}

export const consentToJson = (patient: Uint8Array, grantee: Uint8Array, c: ConsentEntry, status: ConsentStatus) => ({
  id: to0x(c[C_ID]),
  patient: to0x(patient),
  grantee: to0x(grantee),
  records: c[C_RECORDS].map(to0x),
  resourceTypes: bitsToNames(c[C_TYPES], RESOURCE_TYPES),
  actions: actionsOf(c[C_ACTIONS]),
  purposes: bitsToNames(c[C_PURPOSES], PURPOSE_NAMES),
  notBefore: c[C_NOT_BEFORE],
  expiresAt: c[C_EXPIRES],
  revokedAt: c[C_REVOKED] === 0 ? null : c[C_REVOKED],
  status,
});

/** The pair's consent `id` as it stands in state, or undefined once dropped. */
function findInState(api: NodeApi, patient: Uint8Array, grantee: Uint8Array, id: Uint8Array) {
  const v = readState(api, consentKey(patient, grantee));
  const list = v === undefined ? [] : decodeConsents(v);
  return { value: v, entry: list.find((c) => equal(c[C_ID], id)) };
}

/** A consent from its consent.granted index entry, joined with its current state. */
function fromGrantEvent(api: NodeApi, e: IndexEntry, time: number) {
  const a = e.attrs;
  const patient = a.patient as Uint8Array;
  const grantee = a.grantee as Uint8Array;
  const id = a.consent as Uint8Array;
  const { entry } = findInState(api, patient, grantee, id);
  if (entry !== undefined) return consentToJson(patient, grantee, entry, consentStatus(entry, time));
  const records = a.records instanceof Uint8Array ? splitIds(a.records) : [];
  const c: ConsentEntry = [
    id,
    records,
    Number(a.types),
    Number(a.actions),
    Number(a.purposes),
    Number(a.notBefore),
    Number(a.expiresAt),
    0,
  ];
  return consentToJson(patient, grantee, c, 'removed');
}

const isGrant = (e: IndexEntry): boolean =>
  e.type === 'consent.granted' &&
  e.attrs.patient instanceof Uint8Array &&
  e.attrs.grantee instanceof Uint8Array &&
  e.attrs.consent instanceof Uint8Array;

const StatusFilter = Type.Array(Type.Union(CONSENT_STATUS.map((s) => Type.Literal(s))), {
  maxItems: CONSENT_STATUS.length,
  description: 'only consents in these states (default: all)',
});

export function consentMethods(api: NodeApi) {
  function list(
    name: IndexName,
    subject: string,
    pg: PageParam | undefined,
    statuses: readonly ConsentStatus[] | undefined,
  ) {
    const at = headPoint(api);
    const want = statuses === undefined || statuses.length === 0 ? null : new Set(statuses);
    // The filter runs inside the index scan (state reads are synchronous), so pages stay full.
    const out: ReturnType<typeof consentToJson>[] = [];
    return page(() =>
      queryIndex(api.chain.db, name, from0x(subject), toIndexQuery(pg), (e) => {
        if (!isGrant(e)) return false;
        const c = fromGrantEvent(api, e, at.time);
        if (want !== null && !want.has(c.status)) return false;
        out.push(c);
        return true;
      }),
    ).then((r) => ({
      ...at,
      consents: out.slice(0, r.entries.length),
      cursor: r.cursor === null ? null : to0x(r.cursor),
    }));
  }
  const pageParams = [
    { name: 'page', schema: PageParam, required: false },
    { name: 'status', schema: StatusFilter, required: false },
  ] as const;
  const ListResult = Type.Object({ ...AtHead, consents: Type.Array(ConsentJson), cursor: Cursor });

  return [
    defineMethod({
      name: 'consent_get',
      summary:
        'A consent by id (the granting tx hash) with its status now and a proof of its pair’s consents against stateRoot',
      params: [{ name: 'consent', schema: Id('consent id') }],
      result: Type.Object({ ...AtHead, consent: ConsentJson, proof: StateProofJson }),
      errors: [ApiErrorCode.CONSENT_NOT_FOUND],
      handler: async (p) => {
        const id = from0x(p.consent);
        const loc = await api.chain.blocks.getTxLocation(id);
        if (loc === undefined) throw new MedchainError(ApiErrorCode.CONSENT_NOT_FOUND);
        const { block } = await loadBlock(api, loc.height);
        const tx = decodeTx(block.txs[loc.index] as Uint8Array);
        if (tx.kind !== TxKind.GRANT_CONSENT) throw new MedchainError(ApiErrorCode.CONSENT_NOT_FOUND);
        const b = BODY_CODECS[TxKind.GRANT_CONSENT].decode(tx.body);
        // A grant that failed never entered state.
        const receipts = await api.chain.blocks.getReceipts(loc.height);
        const r = receipts?.[loc.index];
        if (r === undefined || decodeReceipt(r).status !== TxStatus.OK)
          throw new MedchainError(ApiErrorCode.CONSENT_NOT_FOUND);
        // From here on one synchronous tick: the answer and the proof describe the same root.
        const at = headPoint(api);
        const now = findInState(api, b.patient, b.grantee, id);
        const c: ConsentEntry = now.entry ?? [
          id,
          b.records,
          b.types,
          b.actions,
          b.purposes,
          b.notBefore,
          b.expiresAt,
          0,
        ];
        return {
          ...at,
          consent: consentToJson(
            b.patient,
            b.grantee,
            c,
            now.entry === undefined ? 'removed' : consentStatus(c, at.time),
          ),
          proof: proveKey(api, consentKey(b.patient, b.grantee), now.value),
        };
      },
    }),
    defineMethod({
      name: 'consent_listByPatient',
      summary: "A patient's consents in order of grant (block time), with their status now",
      params: [{ name: 'patient', schema: Id('patient id') }, ...pageParams],
      result: ListResult,
      errors: [ApiErrorCode.AUDIT_BAD_CURSOR, ApiErrorCode.AUDIT_BAD_RANGE],
      handler: (p) => list(IndexName.CONSENTS_BY_PATIENT, p.patient, p.page, p.status),
    }),
    defineMethod({
      name: 'consent_listByGrantee',
      summary: 'The consents granted to a practitioner or organization, in order of grant, with their status now',
      params: [{ name: 'grantee', schema: Id('practitioner or organization id') }, ...pageParams],
      result: ListResult,
      errors: [ApiErrorCode.AUDIT_BAD_CURSOR, ApiErrorCode.AUDIT_BAD_RANGE],
      handler: (p) => list(IndexName.CONSENTS_BY_GRANTEE, p.grantee, p.page, p.status),
    }),
  ];
}
