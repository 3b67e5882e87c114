/**
 * A full disk under a validator (its home on a small tmpfs): the node must stop by itself with
 * EXIT_DISK_FULL instead of retrying forever, leave its store intact, and go on from where it
 * was once space is freed. Needs root for the mount: elsewhere this test fails saying so.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpfsUnavailable } from '../../bench/chaos/disk.js';
import { EXIT_DISK_FULL } from '../../src/cli/shutdown.js';
import { header, soloNet, waitHeight } from './solo.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('disk full: the validator stops cleanly (EXIT_DISK_FULL), then resumes with its chain intact', async () => {
  const why = tmpfsUnavailable();
  assert.is(why, null, `this test needs tmpfs mounts: ${why}`);
  const net = await soloNet(32);
  try {
    net.start(0);
    const before = await waitHeight(net, 3);
    const kept = await header(net, before.headHeight);
    const node = net.nodes[0] as (typeof net.nodes)[0];
    node.state = 'stopping';
    net.disks?.fill(node.home);
    for (let i = 0; i < 1200 && !net.exited(0); i++) await sleep(100);
    assert.ok(net.exited(0), `did not stop within 120 s of its disk filling up:\n${node.tail.join('\n')}`);
    assert.equal(node.lastExit, { code: EXIT_DISK_FULL, signal: null }, node.tail.join('\n'));
    assert.ok(
      node.tail.some((l) => l.includes('node stopped')),
      'closed in order',
    );

    net.disks?.free(node.home);
    net.start(0);
    await waitHeight(net, before.headHeight + 2);
    assert.equal(await header(net, before.headHeight), kept, 'blocks from before the full disk are unchanged');
  } finally {
    await net.close();
  }
});

test.run();
