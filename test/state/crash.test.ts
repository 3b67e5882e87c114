import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { equal, toHex, utf8 } from '../../src/codec/bytes.js';
import { ChainState } from '../../state/chain.js';
import { verifyStateProof } from '../../state/smt/proof.js';
import { crashBlockTxs } from '../helpers/crash-blocks.js';
import { kvGenesis, kvKey, kvMachine } from '../helpers/kv-machine.js';

const writer = join(dirname(fileURLToPath(import.meta.url)), '../helpers/crash-writer.js');
const genesis = kvGenesis('crash-chain');

/** Runs the writer until `ms` after its first commit, then SIGKILLs it mid-work. Returns the last height it printed. */
function runAndKill(dir: string, ms: number): Promise<{ lastPrinted: number; roots: Map<number, string> }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const roots = new Map<number, string>();
    let lastPrinted = -1;
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const [word, h, root] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (word === 'committed') {
          lastPrinted = Number(h);
          roots.set(lastPrinted, root as string);
          timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ lastPrinted, roots });
    });
  });
}

test('a node killed at random points while committing restarts at its last committed root', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-crash-'));
  const refDir = mkdtempSync(join(tmpdir(), 'medchain-crash-ref-'));
  // The reference replays the same deterministic blocks in this process.
  const ref = await ChainState.open({ dir: refDir, genesis, machine: kvMachine, syncWrites: false });
  try {
    let seed = 12345;
    for (let round = 0; round < 6; round++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const { lastPrinted } = await runAndKill(dir, 20 + (seed % 400));
      const chain = await ChainState.open({ dir, genesis, machine: kvMachine });
      const h = chain.head.height;
      // Everything acknowledged survived; at most the block being written when killed was also completed.
      assert.ok(h >= lastPrinted && h <= lastPrinted + 1, `head ${h} vs last printed ${lastPrinted}`);
      while (ref.head.height < h) {
        const height = ref.head.height + 1;
        const txs = crashBlockTxs(genesis, height);
        const time = genesis.time + height * 1000;
        const exec = ref.execute(time, new Uint8Array(32), txs);
        await ref.commit(
          { header: ref.header(time, new Uint8Array(32), exec), txs: txs.map((t) => t.bytes) },
          exec,
          new Uint8Array(0),
        );
      }
      assert.is(toHex(chain.head.stateRoot), toHex(ref.head.stateRoot), `root at height ${h}`);
      assert.ok(equal(chain.head.hash, ref.head.hash));
      // The tree is whole: a key of the last block proves against the root.
      if (h > 0) {
        const key = kvKey(utf8(`h${h}-0`));
        assert.ok(verifyStateProof(chain.head.stateRoot, key, utf8(`v${h}-0`), chain.store.prove(key)));
      }
      await chain.close();
    }
    assert.ok(ref.head.height > 0, 'the writer committed blocks');
  } finally {
    await ref.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(refDir, { recursive: true, force: true });
  }
});

test.run();
