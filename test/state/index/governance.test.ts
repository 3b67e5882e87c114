/** Validator governance events are indexed chain-wide (no subject), in chain order, for governance_events. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Receipt, TxStatus } from '../../../src/chain/receipt.js';
import { governance } from '../../../state/index/query.js';
import { indexOps } from '../../../state/index/writer.js';
import { type BatchOp, openDb } from '../../../state/store/db.js';

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const dir = mkdtempSync(join(tmpdir(), 'medchain-gov-index-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const receipt = (events: Receipt['events']): Receipt => ({ txHash: id(9), status: TxStatus.OK, code: '', events });

test('proposed, voted, approved and applied are listed in chain order; other events are not', async () => {
  const ops: BatchOp[] = [];
  const p = id(1);
  indexOps(
    {
      height: 3,
      time: 3000,
      txs: [],
      receipts: [
        receipt([
          {
            type: 'governance.proposed',
            attrs: { proposal: p, action: 'add_organization', subject: id(2), by: id(3) },
          },
          { type: 'governance.approved', attrs: { proposal: p, activationHeight: 5 } },
        ]),
        receipt([{ type: 'consent.granted', attrs: { patient: id(4), grantee: id(5) } }]),
      ],
    },
    ops,
  );
  indexOps(
    {
      height: 5,
      time: 5000,
      txs: [],
      receipts: [receipt([{ type: 'governance.applied', attrs: { proposal: p, action: 'add_organization' } }])],
    },
    ops,
  );
  const db = await openDb(dir);
  try {
    await db.batch(ops);
    const page = await governance(db);
    assert.equal(
      page.entries.map((e) => `${e.height} ${e.type}`),
      ['3 governance.proposed', '3 governance.approved', '5 governance.applied'],
    );
    const newest = await governance(db, { reverse: true, limit: 1 });
    assert.equal(
      newest.entries.map((e) => e.type),
      ['governance.applied'],
    );
  } finally {
    await db.close();
  }
});

test.run();
