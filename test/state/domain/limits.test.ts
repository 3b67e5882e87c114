import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CredentialType, MAX_CONSENTS_PER_PAIR, Purpose, TxKind } from '../../../src/tx/kinds.js';
import { DUE_CHUNK_IDS } from '../../../state/domain/access-tx.js';
import { TestChain } from './helpers.js';

/**
 * Anything a sender can grow must stay bounded per state value, so the work
 * per tx does not grow with history (no re-encoding an ever longer list).
 */
test('many emergencies due in the same minute: due lists are chunked, values stay small, all get flagged', async () => {
  const c = await TestChain.open();
  try {
    const dr = await c.registerPractitioner('dr-busy', c.orgs[0], [CredentialType.LICENSE, CredentialType.EMERGENCY]);
    const patients = [await c.registerPatient('p1'), await c.registerPatient('p2')];
    const n = 3 * DUE_CHUNK_IDS + 5;
    const txs = Array.from({ length: n }, (_, i) =>
      c.tx(TxKind.BREAK_GLASS, dr, { patient: (patients[i % 2] as (typeof patients)[0]).id, reason: Purpose.BTG }),
    );
    const exec = await c.block(txs);
    assert.ok(exec.receipts.every((r) => r.status === 0));
    const largest = Math.max(...exec.staged.changes.map((ch) => ch.value?.length ?? 0));
    assert.ok(largest <= DUE_CHUNK_IDS * 32 + 8, `largest state value ${largest} bytes`);
    const after = await c.block([], c.time + c.params.policy.reviewDeadlineMs + 2 * 60_000);
    const flagged = after.receipts.flatMap((r) => r.events).filter((e) => e.type === 'emergency.overdue');
    assert.is(flagged.length, n);
  } finally {
    await c.close();
  }
});

test('consents per pair are capped, so a grant or an access reads one bounded value', () => {
  assert.ok(MAX_CONSENTS_PER_PAIR <= 8);
});

test.run();
