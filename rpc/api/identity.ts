import { Type } from '@sinclair/typebox';
import { from0x, to0x } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { CREDENTIAL_TYPE_NAMES, IdentityType } from '../../src/tx/kinds.js';
import { credentialKey, identityKey } from '../../state/domain/keys.js';
import { type Credential, credentialValid, decodeCredential, decodeIdentity } from '../../state/domain/values.js';
import { credentialsByPractitioner, MAX_PAGE } from '../../state/index/query.js';
import { defineMethod } from '../methods.js';
import { Hash32, TimeMs, Uint } from '../schema.js';
import {
  AtHead,
  getIdentity,
  headPoint,
  Id,
  IdentityJson,
  identityToJson,
  proveKey,
  readState,
  StateProofJson,
} from './domain.js';
import { ApiErrorCode } from './errors.js';
import type { NodeApi } from './types.js';

export const CredentialTypeName = Type.Union([
  Type.Literal('license'),
  Type.Literal('specialty'),
  Type.Literal('emergency'),
]);
type CredName = 'license' | 'specialty' | 'emergency';
const credCode = (n: CredName): number => CREDENTIAL_TYPE_NAMES.indexOf(n);

export const CredentialJson = Type.Object({
  practitioner: Hash32(),
  type: CredentialTypeName,
  qualifier: Uint('specialty code (0 unless type is specialty)'),
  issuer: Hash32('the issuing organization'),
  validFrom: TimeMs(),
  validUntil: TimeMs(),
  revokedAt: Type.Union([TimeMs(), Type.Null()]),
  valid: Type.Boolean({ description: 'valid at the head block time' }),
});

const credentialToJson = (practitioner: Uint8Array, type: number, qualifier: number, c: Credential, time: number) => ({
  practitioner: to0x(practitioner),
  type: CREDENTIAL_TYPE_NAMES[type] as CredName,
  qualifier,
  issuer: to0x(c.issuer),
  validFrom: c.validFrom,
  validUntil: c.validUntil,
  revokedAt: c.revokedAt === 0 ? null : c.revokedAt,
  valid: credentialValid(c, time),
});

export function identityMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'identity_get',
      summary:
        'An identity (patient, practitioner, organization) with a state proof; null with a non-inclusion proof when unknown',
      params: [{ name: 'id', schema: Id('identity id') }],
      result: Type.Object({ ...AtHead, identity: Type.Union([IdentityJson, Type.Null()]), proof: StateProofJson }),
      handler: (p) => {
        const id = from0x(p.id);
        const key = identityKey(id);
        const v = readState(api, key);
        return {
          ...headPoint(api),
          identity: v === undefined ? null : identityToJson(id, decodeIdentity(v)),
          proof: proveKey(api, key, v),
        };
      },
    }),
    defineMethod({
      name: 'credential_list',
      summary:
        "A practitioner's credentials (license, specialties, emergency privileges) as they stand now, revoked ones included",
      params: [{ name: 'practitioner', schema: Id('practitioner id') }],
      result: Type.Object({ ...AtHead, credentials: Type.Array(CredentialJson) }),
      errors: [ApiErrorCode.IDENTITY_NOT_FOUND],
      handler: async (p) => {
        const id = from0x(p.practitioner);
        const me = getIdentity(api, id);
        if (me === undefined || me.type !== IdentityType.PRACTITIONER)
          throw new MedchainError(ApiErrorCode.IDENTITY_NOT_FOUND);
        // The index names every (type, qualifier) ever issued; state has their current form.
        const seen = new Set<string>();
        const slots: [number, number][] = [];
        let cursor: Uint8Array | null = null;
        do {
          const pg = await credentialsByPractitioner(api.chain.db, id, { limit: MAX_PAGE, cursor });
          for (const e of pg.entries) {
            const t = CREDENTIAL_TYPE_NAMES.indexOf(e.attrs.credType as CredName);
            const q = typeof e.attrs.qualifier === 'number' ? e.attrs.qualifier : 0;
            if (t <= 0 || seen.has(`${t}/${q}`)) continue;
            seen.add(`${t}/${q}`);
            slots.push([t, q]);
          }
          cursor = pg.cursor;
        } while (cursor !== null && slots.length < 256);
        const at = headPoint(api);
        const credentials = [];
        for (const [t, q] of slots) {
          const v = readState(api, credentialKey(id, t, q));
          if (v !== undefined) credentials.push(credentialToJson(id, t, q, decodeCredential(v), at.time));
        }
        return { ...at, credentials };
      },
    }),
    defineMethod({
      name: 'credential_verify',
      summary:
        'Whether a practitioner holds a valid credential of a type at a block time (default: the head), with a state proof',
      params: [
        { name: 'practitioner', schema: Id('practitioner id') },
        { name: 'type', schema: CredentialTypeName },
        { name: 'qualifier', schema: Type.Integer({ minimum: 0, maximum: 0xffffffff }), required: false },
        {
          name: 'at',
          schema: TimeMs('block time to check validity at (default: the head block time)'),
          required: false,
        },
      ],
      result: Type.Object({
        ...AtHead,
        valid: Type.Boolean(),
        credential: Type.Union([CredentialJson, Type.Null()]),
        proof: StateProofJson,
      }),
      handler: (p) => {
        const id = from0x(p.practitioner);
        const t = credCode(p.type);
        const q = p.type === 'specialty' ? (p.qualifier ?? 0) : 0;
        const key = credentialKey(id, t, q);
        const v = readState(api, key);
        const at = headPoint(api);
        const time = p.at ?? at.time;
        const c = v === undefined ? undefined : decodeCredential(v);
        return {
          ...at,
          valid: c !== undefined && credentialValid(c, time),
          credential: c === undefined ? null : credentialToJson(id, t, q, c, time),
          proof: proveKey(api, key, v),
        };
      },
    }),
  ];
}
