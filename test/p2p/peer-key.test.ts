import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { P2pErrorCode } from '../../p2p/errors.js';
import { loadOrCreatePeerKey, PEER_KEY_FILE } from '../../p2p/peer-key.js';
import { isCoded } from '../../src/errors.js';
import { rejects, testHost } from './helpers.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medchain-p2p-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('peer id is stable across a host restart from the same data dir', async () => {
  const dataDir = join(dir, 'node');
  const first = await testHost({ dataDir });
  const id = first.peerId;
  await first.close();
  const second = await testHost({ dataDir });
  try {
    assert.is(second.peerId, id);
    assert.ok(id.startsWith('12D3KooW'), 'an Ed25519 peer id');
  } finally {
    await second.close();
  }
});

test('the key file is private to the owner', async () => {
  await loadOrCreatePeerKey(dir);
  const s = await stat(join(dir, PEER_KEY_FILE));
  assert.is(s.mode & 0o077, 0);
});

test('different data dirs give different peer ids', async () => {
  const a = peerIdFromPrivateKey(await loadOrCreatePeerKey(join(dir, 'a'))).toString();
  const b = peerIdFromPrivateKey(await loadOrCreatePeerKey(join(dir, 'b'))).toString();
  assert.is.not(a, b);
});

test('rejects a corrupt key file with BAD_PEER_KEY instead of replacing the identity', async () => {
  await writeFile(join(dir, PEER_KEY_FILE), 'not a key\n');
  const err = await rejects(loadOrCreatePeerKey(dir));
  assert.ok(isCoded(err, P2pErrorCode.BAD_PEER_KEY));
});

test.run();
