import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tx } from '../../../src/chain/tx.js';
import { toHex } from '../../../src/codec/bytes.js';
import { CredentialType, TxKind } from '../../../src/tx/kinds.js';
import { type Actor, HOUR, outcome, rid, TestChain, testParams } from './helpers.js';
import { Model, type Name, type Outcome } from './model.js';

const MIN = 60_000;
/** MODEL_STATS=1 prints how often each (kind, outcome) came up, to check the generator's reach. */
const STATS = process.env.MODEL_STATS ? new Map<string, number>() : null;
const POLICY = { denialThreshold: 3, denialWindowMs: HOUR, breakGlassMs: 24 * HOUR, reviewDeadlineMs: 72 * HOUR };
const RECORDS = [0, 1, 2, 3, 4, 5].map((i) => `m-r${i}`);
const TYPES = [0, 3, 5, 6]; // AllergyIntolerance, Observation, ImagingStudy, MedicationRequest

const patients = fc.constantFrom('A', 'B');
const anyRecord = fc.integer({ min: 0, max: 5 });

type Op =
  | {
      k: 'grant';
      signer: Name;
      patient: Name;
      grantee: Name;
      records: number[];
      types: number[];
      actions: number;
      purposes: number[];
      nb: number;
      dur: number;
    }
  | { k: 'revoke'; signer: Name; patient: Name; grantee: Name; pick: number }
  | { k: 'access'; who: Name; patient: Name; records: number[]; foreign: boolean; purpose: number }
  | { k: 'add'; signer: Name; patient: Name; rec: number; type: number; custodian: Name; purpose: number }
  | { k: 'erase'; signer: Name; rec: number }
  | { k: 'hold'; signer: Name; rec: number; on: boolean }
  | { k: 'attest'; signer: Name; rec: number; erased: boolean; hash: number }
  | { k: 'bg'; signer: Name; patient: Name; reason: number }
  | { k: 'review'; signer: Name; pick: number }
  | { k: 'reinstate'; signer: Name; grantee: Name }
  | { k: 'issue'; signer: Name; practitioner: Name; type: number; from: number; dur: number }
  | { k: 'revokeCred'; signer: Name; practitioner: Name; type: number }
  | { k: 'delegate'; signer: Name; delegate: Name; off: number }
  | { k: 'undelegate'; signer: Name; delegate: Name };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('grant' as const),
      signer: fc.constantFrom('self', 'self', 'self', 'D', 'A'),
      patient: patients,
      grantee: fc.constantFrom('P0', 'P1', 'P2', 'O1', 'B'),
      records: fc.uniqueArray(anyRecord, { maxLength: 2 }),
      types: fc.oneof({ weight: 2, arbitrary: fc.constant<number[]>([0, 3, 5]) }, fc.subarray(TYPES)),
      actions: fc.integer({ min: 1, max: 3 }),
      purposes: fc.oneof(
        { weight: 3, arbitrary: fc.constant<number[]>([1, 2]) },
        fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
      ),
      nb: fc.integer({ min: -2, max: 2 }),
      dur: fc.integer({ min: 1, max: 72 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('revoke' as const),
      signer: fc.constantFrom('self', 'self', 'D', 'B'),
      patient: patients,
      grantee: fc.constantFrom('P0', 'P1', 'P2', 'O1'),
      pick: fc.nat(),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('access' as const),
      who: fc.constantFrom('P0', 'P0', 'P1', 'P1', 'P2', 'O1', 'O1', 'A', 'B'),
      patient: patients,
      records: fc.uniqueArray(anyRecord, { minLength: 1, maxLength: 2 }),
      foreign: fc.integer({ min: 0, max: 6 }).map((x) => x === 0),
      purpose: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: 1, max: 7 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      signer: fc.constantFrom('A', 'B', 'P0', 'P1', 'O1'),
      patient: patients,
      rec: anyRecord,
      type: fc.constantFrom(...TYPES),
      custodian: fc.constantFrom('O0', 'O1'),
      purpose: fc.integer({ min: 1, max: 7 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('erase' as const),
      signer: fc.constantFrom('A', 'B', 'D', 'owner', 'owner'),
      rec: anyRecord,
    }),
  },
  fc.record({
    k: fc.constant('hold' as const),
    signer: fc.constantFrom('O0', 'O1', 'P0'),
    rec: anyRecord,
    on: fc.boolean(),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('attest' as const),
      signer: fc.constantFrom('custodian', 'custodian', 'custodian', 'O0', 'O1', 'P0', 'A'),
      rec: anyRecord,
      erased: fc.integer({ min: 0, max: 3 }).map((x) => x > 0),
      hash: fc.nat({ max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('bg' as const),
      signer: fc.constantFrom('P0', 'P1', 'P2', 'O1'),
      patient: patients,
      reason: fc.constantFrom(2, 7),
    }),
  },
  fc.record({ k: fc.constant('review' as const), signer: fc.constantFrom('O0', 'O1'), pick: fc.nat() }),
  fc.record({
    k: fc.constant('reinstate' as const),
    signer: fc.constantFrom('O0', 'O1'),
    grantee: fc.constantFrom('P0', 'P1', 'P2', 'O1', 'A'),
  }),
  fc.record({
    k: fc.constant('issue' as const),
    signer: fc.constantFrom('O0', 'O1'),
    practitioner: fc.constantFrom('P0', 'P1', 'P2'),
    type: fc.constantFrom(1, 3),
    from: fc.integer({ min: -1, max: 1 }),
    dur: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({
    k: fc.constant('revokeCred' as const),
    signer: fc.constantFrom('O0', 'O1'),
    practitioner: fc.constantFrom('P0', 'P1', 'P2'),
    type: fc.constantFrom(1, 3),
  }),
  fc.record({
    k: fc.constant('delegate' as const),
    signer: patients,
    delegate: fc.constantFrom('D', 'A', 'B'),
    off: fc.integer({ min: -1, max: 48 }),
  }),
  fc.record({ k: fc.constant('undelegate' as const), signer: patients, delegate: fc.constant('D') }),
);

const blocksArb = fc.array(
  fc.record({
    dtMin: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 90 }) }, fc.integer({ min: 0, max: 30 * 60 })),
    ops: fc.array(opArb, { maxLength: 5 }),
  }),
  { minLength: 1, maxLength: 30 },
);

async function setup(): Promise<{ c: TestChain; model: Model; who: Map<Name, Actor> }> {
  const c = await TestChain.open({ orgs: 2, validators: 2, params: testParams(POLICY) });
  const model = new Model(POLICY);
  const who = new Map<Name, Actor>();
  const [o0, o1] = c.orgs as [Actor, Actor];
  who.set('O0', o0).set('O1', o1);
  model.ids.set('O0', { type: 'organization', org: '', suspended: false, validator: true });
  model.ids.set('O1', { type: 'organization', org: '', suspended: false, validator: true });
  const pracs: [Name, Actor, Name, number[]][] = [
    ['P0', o0, 'O0', [CredentialType.LICENSE, CredentialType.EMERGENCY]],
    ['P1', o0, 'O0', [CredentialType.LICENSE]],
    ['P2', o1, 'O1', []],
  ];
  for (const [n, org, orgName, creds] of pracs) {
    who.set(n, await c.registerPractitioner(`model-${n}`, org, creds));
    model.ids.set(n, { type: 'practitioner', org: orgName, suspended: false, validator: false });
    for (const t of creds)
      model.creds.set(`${n}:${t}`, { issuer: orgName, from: 0, until: Number.MAX_SAFE_INTEGER, revoked: false });
  }
  for (const [n, org, orgName] of [
    ['A', o0, 'O0'],
    ['B', o0, 'O0'],
    ['D', o1, 'O1'],
  ] as const) {
    who.set(n, await c.registerPatient(`model-${n}`, org));
    model.ids.set(n, { type: 'patient', org: orgName, suspended: false, validator: false });
  }
  // r0..r3 exist from the start (two per patient, custodian O0); r4, r5 are left for ADD_RECORD.
  for (const [i, p, type] of [
    [0, 'A', 5],
    [1, 'A', 0],
    [2, 'B', 3],
    [3, 'B', 5],
  ] as const) {
    const name = RECORDS[i] as string;
    assert.is(outcome(await c.addRecord(who.get(p) as Actor, who.get(p) as Actor, name, type)), 'OK');
    model.records.set(name, { patient: p, type, custodian: 'O0', erased: false, hold: false });
  }
  return { c, model, who };
}

/** Builds the tx for an op against the model's current knowledge and applies it to the model. */
function step(
  c: TestChain,
  model: Model,
  who: Map<Name, Actor>,
  op: Op,
): { tx: Tx; expect: Outcome; emergency?: boolean } {
  const a = (n: Name) => who.get(n) as Actor;
  const t = model.now;
  switch (op.k) {
    case 'grant': {
      if (op.signer === 'self') op = { ...op, signer: op.patient };
      // patient == grantee is a malformed body (admission rejects it): aim at the other patient instead
      if (op.grantee === op.patient) op = { ...op, grantee: op.patient === 'A' ? 'B' : 'A' };
      const types = op.records.length === 0 && op.types.length === 0 ? [5] : op.types;
      const body = {
        patient: a(op.patient).id,
        grantee: a(op.grantee).id,
        records: op.records.map((i) => rid(RECORDS[i] as string)),
        types: types.reduce((m, x) => m | (1 << x), 0),
        actions: op.actions,
        purposes: op.purposes.reduce((m, x) => m | (1 << x), 0),
        notBefore: t + op.nb * HOUR,
        expiresAt: t + op.nb * HOUR + op.dur * HOUR,
      };
      const tx = c.tx(TxKind.GRANT_CONSENT, a(op.signer), body);
      const expect = model.grant(op.signer, toHex(tx.hash), op.patient, op.grantee, {
        records: op.records.map((i) => RECORDS[i] as string),
        types: body.types,
        actions: body.actions,
        purposes: body.purposes,
        notBefore: body.notBefore,
        expiresAt: body.expiresAt,
      });
      return { tx, expect };
    }
    case 'revoke': {
      if (op.signer === 'self') op = { ...op, signer: op.patient };
      const list = model.consents.get(`${op.patient}:${op.grantee}`) ?? [];
      const id = list.length === 0 ? '00'.repeat(32) : (list[op.pick % list.length]?.id as string);
      const consent = Uint8Array.from(id.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
      const tx = c.tx(TxKind.REVOKE_CONSENT, a(op.signer), {
        patient: a(op.patient).id,
        grantee: a(op.grantee).id,
        consent,
      });
      return { tx, expect: model.revoke(op.signer, op.patient, op.grantee, id) };
    }
    case 'access': {
      // mostly the patient's own records (pointers of another patient are UNKNOWN_RECORD)
      const patient = op.patient;
      const own = RECORDS.filter((r) => model.records.get(r)?.patient === patient);
      const names =
        op.foreign || own.length === 0
          ? op.records.map((i) => RECORDS[i] as string)
          : [...new Set(op.records.map((i) => own[i % own.length] as string))];
      const tx = c.tx(TxKind.ACCESS, a(op.who), {
        patient: a(op.patient).id,
        records: names.map(rid),
        purpose: op.purpose,
      });
      const r = model.access(op.who, op.patient, names, op.purpose);
      return { tx, expect: r.outcome, emergency: r.emergency };
    }
    case 'add': {
      const name = RECORDS[op.rec] as string;
      const tx = c.tx(TxKind.ADD_RECORD, a(op.signer), {
        record: rid(name),
        patient: a(op.patient).id,
        resourceType: op.type,
        commitment: rid(`c-${name}`),
        locator: rid(`l-${name}`),
        custodian: a(op.custodian).id,
        purpose: op.purpose,
      });
      return { tx, expect: model.addRecord(op.signer, name, op.patient, op.type, op.custodian, op.purpose) };
    }
    case 'erase': {
      const name = RECORDS[op.rec] as string;
      if (op.signer === 'owner') op = { ...op, signer: model.records.get(name)?.patient ?? 'A' };
      return {
        tx: c.tx(TxKind.ERASE_RECORD, a(op.signer), { record: rid(name) }),
        expect: model.erase(op.signer, name),
      };
    }
    case 'hold': {
      const name = RECORDS[op.rec] as string;
      const tx = c.tx(TxKind.SET_LEGAL_HOLD, a(op.signer), { record: rid(name), hold: op.on });
      return { tx, expect: model.hold(op.signer, name, op.on) };
    }
    case 'attest': {
      // mostly an erased record (if any) attested by its custodian, as the vault does
      const erased = RECORDS.filter((r) => model.records.get(r)?.erased === true);
      const name = (op.erased && erased.length > 0 ? erased[op.rec % erased.length] : RECORDS[op.rec]) as string;
      if (op.signer === 'custodian') op = { ...op, signer: model.records.get(name)?.custodian ?? 'O0' };
      const tx = c.tx(TxKind.ATTEST_DELETION, a(op.signer), { record: rid(name), receiptHash: rid(`h-${op.hash}`) });
      return { tx, expect: model.attest(op.signer, name) };
    }
    case 'bg': {
      const tx = c.tx(TxKind.BREAK_GLASS, a(op.signer), { patient: a(op.patient).id, reason: op.reason });
      return { tx, expect: model.breakGlass(op.signer, toHex(tx.hash), op.patient) };
    }
    case 'review': {
      const sids = [...model.sessions.keys()];
      const sid = sids.length === 0 ? '11'.repeat(32) : (sids[op.pick % sids.length] as string);
      const session = Uint8Array.from(sid.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
      const tx = c.tx(TxKind.REVIEW_EMERGENCY, a(op.signer), { session, justified: true });
      return { tx, expect: model.review(op.signer, sid) };
    }
    case 'reinstate':
      return {
        tx: c.tx(TxKind.REINSTATE, a(op.signer), { grantee: a(op.grantee).id }),
        expect: model.reinstate(op.signer, op.grantee),
      };
    case 'issue': {
      const from = t + op.from * HOUR;
      const until = from + op.dur * HOUR;
      const tx = c.tx(TxKind.ISSUE_CREDENTIAL, a(op.signer), {
        practitioner: a(op.practitioner).id,
        credType: op.type,
        qualifier: 0,
        validFrom: from,
        validUntil: until,
      });
      return { tx, expect: model.issue(op.signer, op.practitioner, op.type, from, until) };
    }
    case 'revokeCred': {
      const tx = c.tx(TxKind.REVOKE_CREDENTIAL, a(op.signer), {
        practitioner: a(op.practitioner).id,
        credType: op.type,
        qualifier: 0,
      });
      return { tx, expect: model.revokeCred(op.signer, op.practitioner, op.type) };
    }
    case 'delegate': {
      const expiresAt = t + op.off * HOUR;
      const tx = c.tx(TxKind.SET_DELEGATE, a(op.signer), { delegate: a(op.delegate).id, expiresAt });
      return { tx, expect: model.setDelegate(op.signer, op.delegate, expiresAt) };
    }
    case 'undelegate':
      return {
        tx: c.tx(TxKind.REVOKE_DELEGATE, a(op.signer), { delegate: a(op.delegate).id }),
        expect: model.revokeDelegate(op.signer, op.delegate),
      };
  }
}

test('random tx sequences: the real machine and the reference model give the same outcomes and receipts', async () => {
  await fc.assert(
    fc.asyncProperty(blocksArb, async (blocks) => {
      const { c, model, who } = await setup();
      try {
        for (const [bi, b] of blocks.entries()) {
          const time = c.time + 1000 + b.dtMin * MIN;
          model.now = time;
          const built = b.ops.map((op) => step(c, model, who, op));
          // built like a proposer does: txs the sender rule refuses are left out of the block
          const exec = await c.block(
            built.map((x) => x.tx),
            time,
            { drop: true },
          );
          const overdue = model.endBlock();
          let kept = 0;
          for (const [i, x] of built.entries()) {
            const where = `block ${bi} tx ${i} ${JSON.stringify(b.ops[i])}`;
            const drop = exec.dropped.find((d) => d.tx === x.tx);
            if (drop !== undefined || x.expect.startsWith('REFUSED')) {
              assert.is(drop === undefined ? 'included' : `REFUSED ${drop.code}`, x.expect, where);
              STATS?.set(`${x.tx.kind} ${x.expect}`, (STATS.get(`${x.tx.kind} ${x.expect}`) ?? 0) + 1);
              continue;
            }
            const r = exec.receipts[kept++];
            assert.ok(r, 'receipt');
            assert.is(outcome(r), x.expect, where);
            if (STATS) STATS.set(`${x.tx.kind} ${x.expect}`, (STATS.get(`${x.tx.kind} ${x.expect}`) ?? 0) + 1);
            if (x.emergency !== undefined) {
              const ev = r.events.find((e) => e.type === 'access');
              assert.is(ev?.attrs.emergency, x.emergency, `${where} emergency`);
            }
          }
          const flagged = exec.receipts
            .slice(exec.txs.length)
            .flatMap((r) => r.events)
            .filter((e) => e.type === 'emergency.overdue').length;
          assert.is(flagged, overdue, `block ${bi} overdue reviews`);
        }
      } finally {
        await c.close();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 50) },
  );
});

test.after(() => {
  if (STATS)
    console.log(
      [...STATS]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join('\n'),
    );
});

test.run();
