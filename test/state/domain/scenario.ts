import type { Tx } from '../../../src/chain/tx.js';
import { purposesMask, typesMask } from '../../../src/tx/builders.js';
import { Action, CredentialType, GovAction, Purpose, TxKind } from '../../../src/tx/kinds.js';
import { type Actor, actor, DAY, expectOk, HOUR, rid, seat, type TestChain } from './helpers.js';

/**
 * A small hospital day touching every kind of event: registrations,
 * credentials, records, consents, granted and denied accesses, a
 * suspension, a break-glass with an overdue review, an erasure, a legal hold
 * and a governance change. Returns the chain and the actors.
 */
export async function hospitalDay(c: TestChain) {
  const [o0, o1, o2] = c.orgs as [Actor, Actor, Actor];
  const alice = await c.registerPatient('alice');
  const bob = await c.registerPatient('bob', o1);
  const drX = await c.registerPractitioner('dr-x', o0);
  const drE = await c.registerPractitioner('dr-e', o1, [CredentialType.LICENSE, CredentialType.EMERGENCY]);
  await c.issue(o0, drX, CredentialType.SPECIALTY, c.time + 30 * DAY, 394_579);
  for (let i = 0; i < 6; i++) expectOk(await c.addRecord(alice, alice, `a-${i}`, i % 2 === 0 ? 5 : 3));
  expectOk(await c.addRecord(bob, bob, 'b-0', 0, o1));
  const grant = (p: Actor, g: Actor, over: { records?: Uint8Array[]; hours?: number } = {}): Tx =>
    c.tx(TxKind.GRANT_CONSENT, p, {
      patient: p.id,
      grantee: g.id,
      records: over.records ?? [],
      types: over.records ? 0 : typesMask(['ImagingStudy', 'Observation']),
      actions: Action.READ,
      purposes: purposesMask(['TREAT']),
      notBefore: c.time,
      expiresAt: c.time + (over.hours ?? 48) * HOUR,
    });
  const g1 = grant(alice, drX);
  await c.block([g1, grant(alice, o2, { records: [rid('a-1')] }), grant(bob, drX)]);
  const read = (who: Actor, p: Actor, recs: string[], purpose: number = Purpose.TREAT) =>
    c.tx(TxKind.ACCESS, who, { patient: p.id, records: recs.map(rid), purpose });
  // a block of accesses, several per record, granted and denied
  const txs: Tx[] = [];
  for (let i = 0; i < 12; i++) txs.push(read(drX, alice, [`a-${i % 6}`]));
  txs.push(read(o2, alice, ['a-1']), read(o2, alice, ['a-2']), read(drX, bob, ['b-0']));
  await c.block(txs);
  await c.block([read(drX, alice, ['a-0', 'a-1'], Purpose.HPAYMT)], c.time + HOUR);
  // denials until suspension (default policy: 5 within an hour)
  await c.block(Array.from({ length: 5 }, () => read(drE, alice, ['a-3'])));
  expectOk(await c.run(c.tx(TxKind.REINSTATE, o1, { grantee: drE.id })));
  const bg = c.tx(TxKind.BREAK_GLASS, drE, { patient: alice.id, reason: Purpose.ETREAT });
  await c.block([bg, read(drE, alice, ['a-4'], Purpose.ETREAT)]);
  await c.block([c.tx(TxKind.REVOKE_CONSENT, alice, { patient: alice.id, grantee: drX.id, consent: g1.hash })]);
  await c.block([read(drX, alice, ['a-0'])], c.time + 2 * HOUR);
  await c.block([
    c.tx(TxKind.SET_LEGAL_HOLD, o0, { record: rid('a-5'), hold: true }),
    c.tx(TxKind.ERASE_RECORD, alice, { record: rid('a-5') }),
    c.tx(TxKind.ERASE_RECORD, alice, { record: rid('a-4') }),
    c.tx(TxKind.REVOKE_CREDENTIAL, o0, {
      practitioner: drX.id,
      credType: CredentialType.SPECIALTY,
      qualifier: 394_579,
    }),
  ]);
  const newVal = actor('validator-new');
  const p = c.tx(TxKind.PROPOSE_VALIDATOR_CHANGE, o0, {
    action: GovAction.ADD_VALIDATOR,
    org: o2.id,
    ...seat(o2.id, newVal),
  });
  await c.block([p, c.tx(TxKind.VOTE_VALIDATOR_CHANGE, o1, { proposal: p.hash })]);
  // the review deadline passes: endBlock flags the emergency
  await c.block([], c.time + c.params.policy.reviewDeadlineMs + 5 * 60_000);
  await c.block([]);
  return { alice, bob, drX, drE, o0, o1, o2, bg };
}
