/**
 * One access rule: rpc `access_check` and block execution (ACCESS for a read, ADD_RECORD for a
 * write) give the same verdict, with the same reason code, over random chains: consents of every
 * shape, credentials issued, revoked and expiring, records (prescriptions too) and erasures,
 * break-glass sessions, denials that suspend, reinstatements, and time passing.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideAccess } from '../../../rpc/api/access.js';
import type { NodeApi } from '../../../rpc/api/types.js';
import { BlockErrorCode } from '../../../src/chain/block.js';
import { TxStatus } from '../../../src/chain/receipt.js';
import type { Tx } from '../../../src/chain/tx.js';
import { isCoded } from '../../../src/errors.js';
import { CredentialType, IdentityType, ReasonCode, TxKind } from '../../../src/tx/kinds.js';
import { identityKey, recordKey } from '../../../state/domain/keys.js';
import { decodeIdentity, decodeRecord } from '../../../state/domain/values.js';
import { executeBlock } from '../../../state/exec/executor.js';
import { TxFailure } from '../../../state/exec/machine.js';
import { StateView } from '../../../state/exec/view.js';
import { type Actor, CHAIN_ID, HOUR, rid, TestChain, testParams } from './helpers.js';

const MIN = 60_000;
const RECORDS = ['r0', 'r1', 'r2', 'r3', 'r4'];
const TYPES = [0, 3, 5, 6]; // AllergyIntolerance, Observation, ImagingStudy, MedicationRequest
const GRANTEES = ['P0', 'P1', 'P2', 'O0', 'O1'];
const EVERYONE = ['A', 'B', ...GRANTEES];

type Op =
  | {
      k: 'grant';
      patient: string;
      grantee: string;
      records: number[];
      types: number[];
      actions: number;
      purposes: number[];
      nb: number;
      dur: number;
    }
  | { k: 'revoke'; patient: string; grantee: string; pick: number }
  | { k: 'add'; signer: string; patient: string; rec: number; type: number; purpose: number }
  | { k: 'erase'; rec: number }
  | { k: 'cred'; practitioner: string; type: number; dur: number; revoke: boolean }
  | { k: 'bg'; signer: string; patient: string }
  | { k: 'access'; who: string; patient: string; rec: number; purpose: number }
  | { k: 'reinstate'; grantee: string }
  | { k: 'wait'; minutes: number };

const purpose = fc.integer({ min: 1, max: 7 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('grant' as const),
      patient: fc.constantFrom('A', 'B'),
      grantee: fc.constantFrom(...GRANTEES),
      records: fc.uniqueArray(fc.nat({ max: 4 }), { maxLength: 2 }),
      types: fc.subarray(TYPES),
      actions: fc.integer({ min: 1, max: 3 }),
      purposes: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
      nb: fc.integer({ min: -2, max: 1 }),
      dur: fc.integer({ min: 1, max: 48 }),
    }),
  },
  fc.record({
    k: fc.constant('revoke' as const),
    patient: fc.constantFrom('A', 'B'),
    grantee: fc.constantFrom(...GRANTEES),
    pick: fc.nat(),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      signer: fc.constantFrom('A', 'B', 'P0', 'P1', 'O1'),
      patient: fc.constantFrom('A', 'B'),
      rec: fc.nat({ max: 4 }),
      type: fc.constantFrom(...TYPES),
      purpose,
    }),
  },
  fc.record({ k: fc.constant('erase' as const), rec: fc.nat({ max: 4 }) }),
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('cred' as const),
      practitioner: fc.constantFrom('P0', 'P1', 'P2'),
      type: fc.constantFrom(CredentialType.LICENSE, CredentialType.EMERGENCY),
      dur: fc.integer({ min: 1, max: 48 }),
      revoke: fc.boolean(),
    }),
  },
  fc.record({
    k: fc.constant('bg' as const),
    signer: fc.constantFrom('P0', 'P1', 'P2'),
    patient: fc.constantFrom('A', 'B'),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('access' as const),
      who: fc.constantFrom(...GRANTEES),
      patient: fc.constantFrom('A', 'B'),
      rec: fc.nat({ max: 4 }),
      purpose,
    }),
  },
  fc.record({ k: fc.constant('reinstate' as const), grantee: fc.constantFrom('P0', 'P1', 'P2', 'O1') }),
  fc.record({ k: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 36 * 60 }) }),
);

const probeArb = fc.record({
  grantee: fc.constantFrom(...EVERYONE),
  rec: fc.nat({ max: RECORDS.length }), // the last one never exists
  write: fc.boolean(),
  purpose,
});

async function setup() {
  const c = await TestChain.open({
    orgs: 2,
    validators: 2,
    params: testParams({ denialThreshold: 3, denialWindowMs: HOUR }),
  });
  const [o0, o1] = c.orgs as [Actor, Actor];
  const who = new Map<string, Actor>([
    ['O0', o0],
    ['O1', o1],
  ]);
  who.set('P0', await c.registerPractitioner('ar-P0', o0, [CredentialType.LICENSE, CredentialType.EMERGENCY]));
  who.set('P1', await c.registerPractitioner('ar-P1', o0, [CredentialType.LICENSE]));
  who.set('P2', await c.registerPractitioner('ar-P2', o1, []));
  who.set('A', await c.registerPatient('ar-A', o0));
  who.set('B', await c.registerPatient('ar-B', o1));
  const [pA, pB, p1] = [who.get('A'), who.get('B'), who.get('P1')] as [Actor, Actor, Actor];
  // r0 an ImagingStudy of A, r1 a prescription of A written by P1 under a write consent, r2 an Observation of B
  const write = c.tx(TxKind.GRANT_CONSENT, pA, {
    patient: pA.id,
    grantee: p1.id,
    records: [],
    types: 1 << 6,
    actions: 2,
    purposes: 1 << 1,
    notBefore: 0,
    expiresAt: c.time + 1000 * HOUR,
  });
  await c.block([write]);
  await c.addRecord(pA, pA, 'r0', 5);
  await c.run(
    c.tx(TxKind.ADD_RECORD, p1, {
      record: rid('r1'),
      patient: pA.id,
      resourceType: 6,
      commitment: rid('c-r1'),
      locator: rid('l-r1'),
      custodian: o0.id,
      purpose: 1,
    }),
  );
  await c.addRecord(pB, pB, 'r2', 3);
  return { c, who };
}

function txOf(c: TestChain, who: Map<string, Actor>, op: Op): Tx | null {
  const a = (n: string) => who.get(n) as Actor;
  switch (op.k) {
    case 'grant': {
      const types = op.records.length === 0 && op.types.length === 0 ? [5] : op.types;
      return c.tx(TxKind.GRANT_CONSENT, a(op.patient), {
        patient: a(op.patient).id,
        grantee: a(op.grantee).id,
        records: op.records.map((i) => rid(RECORDS[i] as string)),
        types: types.reduce((m, x) => m | (1 << x), 0),
        actions: op.actions,
        purposes: op.purposes.reduce((m, x) => m | (1 << x), 0),
        notBefore: c.time + op.nb * HOUR,
        expiresAt: c.time + op.nb * HOUR + op.dur * HOUR,
      });
    }
    case 'revoke':
      // a random consent id: usually NOT_FOUND, the grant's hash otherwise (kept below)
      return null;
    case 'add': {
      const name = RECORDS[op.rec] as string;
      return c.tx(TxKind.ADD_RECORD, a(op.signer), {
        record: rid(name),
        patient: a(op.patient).id,
        resourceType: op.type,
        commitment: rid(`c-${name}`),
        locator: rid(`l-${name}`),
        custodian: a('O0').id,
        purpose: op.purpose,
      });
    }
    case 'erase': {
      const v = c.store.get(recordKey(rid(RECORDS[op.rec] as string)));
      if (v === undefined) return null;
      const owner = [...who].find(([, x]) => x.id.every((b, i) => b === decodeRecord(v).patient[i]))?.[1];
      return owner === undefined ? null : c.tx(TxKind.ERASE_RECORD, owner, { record: rid(RECORDS[op.rec] as string) });
    }
    case 'cred': {
      const p = a(op.practitioner);
      const org = op.practitioner === 'P2' ? a('O1') : a('O0');
      const q = { practitioner: p.id, credType: op.type, qualifier: 0 };
      return op.revoke
        ? c.tx(TxKind.REVOKE_CREDENTIAL, org, q)
        : c.tx(TxKind.ISSUE_CREDENTIAL, org, { ...q, validFrom: c.time, validUntil: c.time + op.dur * HOUR });
    }
    case 'bg':
      return c.tx(TxKind.BREAK_GLASS, a(op.signer), { patient: a(op.patient).id, reason: 2 });
    case 'access':
      return c.tx(TxKind.ACCESS, a(op.who), {
        patient: a(op.patient).id,
        records: [rid(RECORDS[op.rec] as string)],
        purpose: op.purpose,
      });
    case 'reinstate': {
      const org = op.grantee === 'P2' || op.grantee === 'O1' ? a('O0') : a('O0');
      return c.tx(TxKind.REINSTATE, op.grantee === 'P2' ? a('O1') : org, { grantee: a(op.grantee).id });
    }
    case 'wait':
      return null;
  }
}

/** A custodian the writer may name (its own organization; the patient keeps the record's). */
function custodianFor(c: TestChain, w: Actor, r: { patient: Uint8Array; custodian: Uint8Array }): Uint8Array {
  const me = decodeIdentity(c.store.get(identityKey(w.id)) as Uint8Array);
  if (me.type === IdentityType.ORGANIZATION) return w.id;
  return me.type === IdentityType.PRACTITIONER ? me.org : r.custodian;
}

/** Execution's verdict as `access_check` words it: granted, or the code it was denied, failed or refused with. */
function executed(c: TestChain, grantee: Actor, record: Uint8Array, write: boolean, purpose: number): string {
  const rv = c.store.get(recordKey(record));
  const r = rv === undefined ? undefined : decodeRecord(rv);
  const bctx = {
    chainId: CHAIN_ID,
    height: c.height + 1,
    time: c.time,
    proposer: c.orgs[0]?.id as Uint8Array,
    params: c.params,
  };
  if (!write) {
    const tx = c.tx(TxKind.ACCESS, grantee, { patient: r?.patient ?? new Uint8Array(32), records: [record], purpose });
    try {
      const rc = executeBlock(c.machine, c.store, bctx, [tx]).receipts[0];
      return rc?.status === TxStatus.OK ? 'granted' : (rc?.code as string);
    } catch (err) {
      if (isCoded(err, BlockErrorCode.BAD_TX)) return String(err.meta.reason);
      throw err;
    }
  }
  // A write: ADD_RECORD of this id, patient and type, on the same state without the record.
  if (r === undefined) return ReasonCode.UNKNOWN_RECORD;
  const tx = c.tx(TxKind.ADD_RECORD, grantee, {
    record,
    patient: r.patient,
    resourceType: r.resourceType,
    commitment: rid('x'),
    locator: rid('y'),
    custodian: custodianFor(c, grantee, r),
    purpose,
  });
  const view = new StateView(c.store);
  view.delete(recordKey(record));
  const h = c.machine.kind(tx.kind);
  const body = h?.decodeBody(tx.body, tx);
  const refused = c.machine.senderError?.(view, CHAIN_ID, tx, body) ?? null;
  if (refused !== null) return refused;
  try {
    h?.apply({ ...bctx, state: view, tx, emit: () => {} }, tx, body);
    return 'granted';
  } catch (err) {
    if (err instanceof TxFailure) return err.code;
    throw err;
  }
}

test('access_check and block execution agree on every (grantee, record, action, purpose) over random chains', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(opArb, { maxLength: 4 }), { minLength: 1, maxLength: 12 }),
      fc.array(probeArb, { minLength: 20, maxLength: 40 }),
      async (blocks, probes) => {
        const { c, who } = await setup();
        try {
          for (const ops of blocks) {
            let time = c.time + MIN;
            const txs: Tx[] = [];
            for (const op of ops) {
              if (op.k === 'wait') time += op.minutes * MIN;
              const tx = txOf(c, who, op);
              if (tx !== null) txs.push(tx);
            }
            await c.block(txs, time, { drop: true });
            const api = {
              chain: {
                head: { height: c.height, time: c.time },
                store: c.store,
                chainId: CHAIN_ID,
                genesis: c.genesis,
              },
            } as unknown as NodeApi;
            for (const p of probes) {
              const grantee = who.get(p.grantee) as Actor;
              const record = rid(RECORDS[p.rec] ?? 'never-added');
              const d = decideAccess(api, grantee.id, record, p.write ? 'write' : 'read', p.purpose);
              const said = d.granted ? 'granted' : (d.code as string);
              const did = executed(c, grantee, record, p.write, p.purpose);
              assert.is(
                said,
                did,
                `${p.grantee} ${p.write ? 'writes' : 'reads'} ${RECORDS[p.rec] ?? 'unknown'} for ${p.purpose}`,
              );
            }
          }
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: Number(process.env.ACCESS_RULE_RUNS ?? 25) },
  );
});

test.run();
