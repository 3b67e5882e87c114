/**
 * The partition lab: nodes in their own network namespaces reach each other over the bridge,
 * a cut link isolates one, healing restores it, and every namespace and link is gone after
 * close() and after SIGINT. Needs root: elsewhere the lab must say it is unavailable.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsLab, netnsUnavailable } from '../../bench/chaos/netns.js';

const why = netnsUnavailable();

/** Whether a TCP connection from namespace a reaches a listener in namespace b (within 3 s). */
function reaches(lab: NetnsLab, a: number, b: number, port: number): boolean {
  const js = `const s = require('node:net').connect(${port}, '${lab.addr(b)}'); s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 3000);`;
  try {
    execFileSync('ip', ['netns', 'exec', lab.ns(a), process.execPath, '-e', js], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** A TCP listener inside node i's namespace, up once it prints. */
async function listen(lab: NetnsLab, i: number, port: number): Promise<ChildProcess> {
  const js = `require('node:net').createServer((c) => c.end()).listen(${port}, '${lab.addr(i)}', () => console.log('up'));`;
  const p = spawn('ip', ['netns', 'exec', lab.ns(i), process.execPath, '-e', js], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    p.stdout?.once('data', () => resolve());
    p.once('exit', () => reject(new Error('listener exited')));
  });
  return p;
}

test('netns lab: available here (root, ip netns, veth), or says why', () => {
  assert.is(why, null, `partitions need network namespaces: ${why}`);
});

test('netns lab: a cut link isolates its node, healing restores it; close removes everything', async () => {
  if (why !== null) return;
  const lab = NetnsLab.create(3);
  const listeners: ChildProcess[] = [];
  try {
    listeners.push(await listen(lab, 1, 7001), await listen(lab, 2, 7001));
    assert.ok(reaches(lab, 0, 1, 7001), 'nodes reach each other over the bridge');
    lab.cut(1);
    assert.not.ok(lab.isUp(1));
    assert.not.ok(reaches(lab, 0, 1, 7001), 'a cut node is unreachable');
    assert.ok(reaches(lab, 0, 2, 7001), 'the others still reach each other');
    lab.heal(1);
    assert.ok(lab.isUp(1));
    assert.ok(reaches(lab, 0, 1, 7001), 'reachable again after healing');
  } finally {
    for (const p of listeners) p.kill('SIGKILL');
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
