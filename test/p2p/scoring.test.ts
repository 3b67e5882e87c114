import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerGater } from '../../p2p/gater.js';
import { PeerScorer } from '../../p2p/scoring.js';

const OPTS = { rejectPenalty: 10, ignorePenalty: 1, banThreshold: -100, banMs: 1000, scoreHalfLifeMs: 100 };

function setup() {
  const clock = { t: 0 };
  const gater = new PeerGater({ open: true, allowedPeers: [] }, { now: () => clock.t });
  const disconnected: string[] = [];
  const scorer = new PeerScorer(OPTS, {
    now: () => clock.t,
    ban: (id, ms) => gater.ban(id, ms),
    disconnect: (id) => {
      // The ban must already be in force, or the peer could redial in between.
      assert.ok(!gater.isAdmitted(id));
      disconnected.push(id);
    },
  });
  return { clock, gater, scorer, disconnected };
}

test('each reject costs rejectPenalty and ignores cost ignorePenalty', () => {
  const { scorer } = setup();
  scorer.onReject('p');
  scorer.onIgnore('p');
  assert.is(scorer.score('p'), -11);
  assert.is(scorer.score('other'), 0);
});

test('bans and disconnects a peer at the threshold, for banMs', () => {
  const { clock, gater, scorer, disconnected } = setup();
  for (let i = 0; i < 9; i++) scorer.onReject('p');
  assert.equal(disconnected, []);
  scorer.onReject('p');
  assert.equal(disconnected, ['p']);
  assert.not.ok(gater.isAdmitted('p'));
  clock.t += 999;
  assert.not.ok(gater.isAdmitted('p'));
  clock.t += 1;
  assert.ok(gater.isAdmitted('p'));
});

test('penalties fade with the half-life, so spread-out mistakes never reach a ban', () => {
  const { clock, scorer, disconnected } = setup();
  scorer.onReject('p');
  clock.t += 100;
  assert.is(scorer.score('p'), -5);
  for (let i = 0; i < 100; i++) {
    scorer.onReject('p');
    clock.t += 100;
  }
  assert.equal(disconnected, []);
  assert.ok(scorer.score('p') > -20);
});

test('gater: permissioned mode admits only the allowlist; setAllowed replaces it', () => {
  const g = new PeerGater({ open: false, allowedPeers: ['a'] }, { now: () => 0 });
  assert.ok(g.isAdmitted('a'));
  assert.not.ok(g.isAdmitted('b'));
  g.setAllowed(['b']);
  assert.not.ok(g.isAdmitted('a'));
  assert.ok(g.isAdmitted('b'));
});

test('gater: a ban overrides the allowlist and a shorter ban never shortens a longer one', () => {
  const clock = { t: 0 };
  const g = new PeerGater({ open: false, allowedPeers: ['a'] }, { now: () => clock.t });
  g.ban('a', 100);
  g.ban('a', 10);
  assert.is(g.banRemaining('a'), 100);
  assert.not.ok(g.isAdmitted('a'));
  clock.t = 100;
  assert.ok(g.isAdmitted('a'));
});

test.run();
