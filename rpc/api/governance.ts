import { Type } from '@sinclair/typebox';
import { to0x } from '../../src/codec/bytes.js';
import { governance } from '../../state/index/query.js';
import { defineMethod } from '../methods.js';
import { AtHead, Cursor, EntryJson, entryToJson, headPoint, PageParam, page, toIndexQuery } from './domain.js';
import { ApiErrorCode } from './errors.js';
import type { NodeApi } from './types.js';

/**
 * Validator governance as it happened: who proposed which change, who voted for it, when it was
 * approved and when it took effect (or was skipped). Public: it names organizations and
 * validators only, which the chain publishes anyway.
 */
export function governanceMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'governance_events',
      summary:
        'Validator governance events (governance.proposed, voted, approved, applied, skipped) in chain order, time-ranged and paged',
      params: [{ name: 'page', schema: PageParam, required: false }],
      result: Type.Object({ ...AtHead, entries: Type.Array(EntryJson), cursor: Cursor }),
      errors: [ApiErrorCode.AUDIT_BAD_CURSOR, ApiErrorCode.AUDIT_BAD_RANGE],
      handler: async (p) => {
        const at = headPoint(api);
        const pg = await page(() => governance(api.chain.db, toIndexQuery(p.page)));
        return { ...at, entries: pg.entries.map(entryToJson), cursor: pg.cursor === null ? null : to0x(pg.cursor) };
      },
    }),
  ];
}
