/**
 * A practitioner's accesses are listed in the employing organization's index (its disclosures
 * report reads one index, not one per staff member): the employer from committed state, or from a
 * registration in the same block; a patient's own reads and unknown grantees are listed under no
 * organization.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Receipt, TxStatus } from '../../../src/chain/receipt.js';
import { toHex } from '../../../src/codec/bytes.js';
import { IdentityType } from '../../../src/tx/kinds.js';
import { identityKey } from '../../../state/domain/keys.js';
import { encodeIdentity } from '../../../state/domain/values.js';
import { byOrganization } from '../../../state/index/query.js';
import { indexOps } from '../../../state/index/writer.js';
import { type BatchOp, openDb } from '../../../state/store/db.js';

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const [ORG1, ORG2, OLD_DR, NEW_DR, PATIENT, STRANGER] = [1, 2, 3, 4, 5, 6].map(id) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const dir = mkdtempSync(join(tmpdir(), 'medchain-org-access-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const receipt = (events: Receipt['events']): Receipt => ({ txHash: id(9), status: TxStatus.OK, code: '', events });
const access = (grantee: Uint8Array, granted = true) => ({
  type: 'access',
  attrs: { granted, grantee, patient: PATIENT, purpose: 'TREAT' },
});

test('accesses are listed under the grantee’s employer, known from state or registered in the same block', async () => {
  const state = new Map<string, Uint8Array>([
    [
      toHex(identityKey(OLD_DR)),
      encodeIdentity({
        type: IdentityType.PRACTITIONER,
        pubkey: id(7),
        org: ORG1,
        registeredAt: 0,
        suspended: false,
        name: '',
        licenseFrom: 0,
        licenseUntil: 0,
      }),
    ],
  ]);
  const ops: BatchOp[] = [];
  indexOps(
    {
      height: 5,
      time: 5000,
      txs: [],
      receipts: [
        receipt([access(OLD_DR as Uint8Array, false)]),
        receipt([{ type: 'identity.registered', attrs: { id: NEW_DR, identityType: 'practitioner', org: ORG2 } }]),
        receipt([access(NEW_DR), access(PATIENT), access(STRANGER)]),
      ],
      read: (k) => state.get(toHex(k)),
    },
    ops,
  );
  const db = await openDb(dir);
  try {
    await db.batch(ops);
    const list = async (org: Uint8Array) =>
      (await byOrganization(db, org)).entries.map((e) => {
        const g = e.attrs.grantee;
        return `${e.type} ${g instanceof Uint8Array ? toHex(g).slice(0, 2) : '-'}`;
      });
    assert.equal(await list(ORG1), ['access 03'], 'employer from state; refused accesses too');
    assert.equal(await list(ORG2), ['identity.registered -', 'access 04'], 'registered in this block');
    // The patient's own read and an unknown grantee: under no organization.
    const byOrgKeys = ops.filter((o) => o.key[0] === 0x78 && o.key[1] === 0x4f);
    assert.is(byOrgKeys.length, 2);
  } finally {
    await db.close();
  }
});

test.run();
