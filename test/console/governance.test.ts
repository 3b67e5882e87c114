import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { foldProposals } from '../../src/console/governance.js';

const ev = (type: string, height: number, attrs: Record<string, string | number>) => ({
  type,
  height,
  time: height * 1000,
  attrs: { proposal: '0xp1', ...attrs },
});

test('a proposal folds its votes (proposer first, once each) and ends applied at the height it took effect', () => {
  const [p] = foldProposals([
    ev('governance.proposed', 3, { action: 'join', subject: '0xs', by: '0xa' }),
    ev('governance.voted', 4, { by: '0xb' }),
    ev('governance.voted', 4, { by: '0xb' }),
    ev('governance.approved', 4, { activationHeight: 6 }),
    ev('governance.applied', 6, { action: 'join' }),
  ]);
  assert.equal(p, {
    id: '0xp1',
    action: 'join',
    subject: '0xs',
    by: '0xa',
    proposedAt: 3000,
    votes: ['0xa', '0xb'],
    status: 'applied',
    height: 6,
    code: null,
  });
});

test('approved shows its activation height; skipped its reason; newest proposal first', () => {
  const out = foldProposals([
    ev('governance.proposed', 1, { action: 'remove_validator', subject: '0xs', by: '0xa' }),
    ev('governance.skipped', 2, { code: 'NOT_FOUND' }),
    {
      ...ev('governance.proposed', 3, { action: 'add_validator', subject: '0xt', by: '0xa' }),
      attrs: { proposal: '0xp2', action: 'add_validator', subject: '0xt', by: '0xa' },
    },
    { ...ev('governance.approved', 3, {}), attrs: { proposal: '0xp2', activationHeight: 5 } },
  ]);
  assert.equal(
    out.map((p) => [p.id, p.status, p.height, p.code]),
    [
      ['0xp2', 'approved', 5, null],
      ['0xp1', 'skipped', 2, 'NOT_FOUND'],
    ],
  );
});

test.run();
