/** The node-output tracker reads commits from a pipe, which cuts lines anywhere. */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type NodeOutput, trackNodeOutput } from '../../bench/e2e/node-output.js';

test('a committed line split across two chunks still counts, once', () => {
  const stdout = new EventEmitter();
  const stderr = new EventEmitter();
  const proc = { stdout, stderr } as unknown as ChildProcess;
  const n: NodeOutput = { commits: [], tail: [] };
  trackNodeOutput(proc, n, { maxCommits: 10, tailLines: 10, lineMax: 300, now: () => 7 });
  const line = (h: number, r: number) => `{"level":30,"height":${h},"round":${r},"msg":"committed"}\n`;
  const two = line(1, 0) + line(2, 3);
  const cut = two.length - 20;
  stdout.emit('data', Buffer.from(two.slice(0, cut)));
  stderr.emit('data', Buffer.from('{"level":50,"msg":"unrelated"}\n'));
  stdout.emit('data', Buffer.from(two.slice(cut)));
  assert.equal(n.commits, [
    { height: 1, round: 0, at: 7 },
    { height: 2, round: 3, at: 7 },
  ]);
});

test.run();
