/**
 * The partition lab: nodes in their own network namespaces reach each other over the bridge,
 * a cut link isolates one, healing restores it, and every namespace and link is gone after
 * close() and after SIGINT. Needs root: elsewhere the lab must say it is unavailable.
 */
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsLab, netnsUnavailable } from '../../bench/chaos/netns.js';

const why = netnsUnavailable();

/** One ping from namespace a to node b's address: true if it answered. */
function ping(lab: NetnsLab, a: number, b: number): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', lab.ns(a), 'ping', '-c', '1', '-W', '1', lab.addr(b)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const hasPing = ((): boolean => {
  try {
    execFileSync('ping', ['-c', '1', '-W', '1', '127.0.0.1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('netns lab: available here (root, ip netns, veth), or says why', () => {
  assert.is(why, null, `partitions need network namespaces: ${why}`);
});

test('netns lab: a cut link isolates its node, healing restores it; close removes everything', () => {
  if (why !== null) return;
  const lab = NetnsLab.create(3);
  try {
    assert.ok(lab.isUp(0) && lab.isUp(1) && lab.isUp(2));
    if (hasPing) assert.ok(ping(lab, 0, 1), 'nodes reach each other over the bridge');
    lab.cut(1);
    assert.not.ok(lab.isUp(1));
    if (hasPing) {
      assert.not.ok(ping(lab, 0, 1), 'a cut node is unreachable');
      assert.ok(ping(lab, 0, 2), 'the others still reach each other');
    }
    lab.heal(1);
    assert.ok(lab.isUp(1));
    if (hasPing) assert.ok(ping(lab, 0, 1), 'reachable again after healing');
  } finally {
    lab.closeSync();
  }
  assert.equal(lab.leftovers(), []);
});

test('netns lab: SIGINT removes the namespaces and links of a running harness', async () => {
  if (why !== null) return;
  const mod = join(dirname(fileURLToPath(import.meta.url)), '../../bench/chaos/netns.js');
  const script = `import { NetnsLab } from ${JSON.stringify(mod)}; const l = NetnsLab.create(2); console.log(l.ns(0)); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const ns = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', () => reject(new Error('child exited before creating its lab')));
    });
    assert.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(ns), 'created');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    const tag = ns.split('-')[0] as string;
    assert.not.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(tag), 'namespaces removed');
    assert.not.ok(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(tag), 'links removed');
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
