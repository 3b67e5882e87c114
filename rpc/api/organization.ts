import { Type } from '@sinclair/typebox';
import { from0x, to0x } from '../../src/codec/bytes.js';
import { byOrganization } from '../../state/index/query.js';
import { defineMethod } from '../methods.js';
import { AtHead, Cursor, EntryJson, entryToJson, headPoint, Id, PageParam, page, toIndexQuery } from './domain.js';
import { ApiErrorCode } from './errors.js';
import type { NodeApi } from './types.js';

const OrgKinds = Type.Array(
  Type.Union([
    Type.Literal('access'),
    Type.Literal('emergency.opened'),
    Type.Literal('emergency.denied'),
    Type.Literal('emergency.reviewed'),
    Type.Literal('emergency.overdue'),
    Type.Literal('identity.registered'),
  ]),
  { maxItems: 6, description: 'event types to keep; default all' },
);

/**
 * An organization's own index: its review queue reads its emergency sessions here instead of
 * every staff member's trail, its disclosures report its practitioners' accesses, and its staff
 * and onboarded patients are listed without a scan.
 */
export function organizationMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'audit_organization',
      summary:
        "An organization's emergency sessions (opened, denied, reviewed, overdue: its break-glass review queue), its practitioners' accesses, granted or refused (its disclosures report), and the practitioners and patients it registered, in chain order, time-ranged and paged",
      params: [
        { name: 'org', schema: Id('organization id') },
        { name: 'kinds', schema: OrgKinds, required: false },
        { name: 'page', schema: PageParam, required: false },
      ],
      result: Type.Object({ ...AtHead, entries: Type.Array(EntryJson), cursor: Cursor }),
      errors: [ApiErrorCode.AUDIT_BAD_CURSOR, ApiErrorCode.AUDIT_BAD_RANGE],
      handler: async (p) => {
        const at = headPoint(api);
        const want = p.kinds === undefined || p.kinds.length === 0 ? null : new Set<string>(p.kinds);
        const pg = await page(() =>
          byOrganization(
            api.chain.db,
            from0x(p.org),
            toIndexQuery(p.page),
            want === null ? undefined : (e) => want.has(e.type),
          ),
        );
        return { ...at, entries: pg.entries.map(entryToJson), cursor: pg.cursor === null ? null : to0x(pg.cursor) };
      },
    }),
  ];
}
