/**
 * The doc-test harness itself: what it extracts, and that it fails an example that fails
 * (a renamed CLI flag), hangs, or never exits. No devnet: the examples here need no node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Block, extractBlocks } from './blocks.js';
import { DocError, DocSession } from './session.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

async function runDoc(markdown: string): Promise<DocError | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-doc-unit-'));
  DocSession.linkCheckout(dir, repo);
  const s = new DocSession(dir, { ...process.env, HOME: dir, MEDCHAIN_KEYSTORE: join(dir, 'keys') }, 'unit.md');
  try {
    for (const b of extractBlocks(markdown).filter((x) => x.noTest === undefined && x.lang !== '')) await s.run(b);
    return undefined;
  } catch (err) {
    if (err instanceof DocError) return err;
    throw err;
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fence = '```';
const keysExample = (flag: string): string =>
  [
    'Make a key:',
    '',
    `${fence}sh`,
    "alias medchain='node dist/src/cli.js'",
    'export MEDCHAIN_PASSWORD=pw',
    `medchain keys new alice ${flag} 16384`,
    fence,
    '',
  ].join('\n');

test('extracts fenced blocks in order with language, line and attributes', () => {
  const md = [
    '# T',
    `${fence}sh no-test: needs a hospital's key file`,
    'medchain keys import x --secret-file org.key',
    fence,
    `${fence}sh background ready="curl -sf http://x/v1/health" timeout=300`,
    'npm start',
    fence,
    '~~~js',
    'console.log(1)',
    '~~~',
    fence,
    'plain text',
    fence,
  ].join('\n');
  const b = extractBlocks(md);
  assert.equal(
    b.map((x: Block) => [x.lang, x.line, x.noTest, x.background, x.ready, x.timeoutMs]),
    [
      ['sh', 2, "needs a hospital's key file", false, undefined, 120_000],
      ['sh', 5, undefined, true, 'curl -sf http://x/v1/health', 300_000],
      ['js', 8, undefined, false, undefined, 120_000],
      ['', 11, undefined, false, undefined, 120_000],
    ],
  );
  assert.is(b[2]?.code, 'console.log(1)\n');
});

test('no-test without a reason is refused', () => {
  assert.throws(() => extractBlocks(`${fence}sh no-test\nx\n${fence}\n`), /needs a reason/);
});

test('a CLI example runs as written; renaming one of its flags fails it, naming the line', async () => {
  assert.is(await runDoc(keysExample('--scrypt-n')), undefined);
  const err = await runDoc(keysExample('--scrypt-cost'));
  assert.ok(err, 'the renamed flag must fail the example');
  assert.match(err.message, /unit\.md:3: the sh example failed \(exit 2\)/);
  assert.match(err.message, /unknown option '--scrypt-cost'/);
});

test('variables and aliases carry from one block to the next', async () => {
  assert.is(await runDoc(`${fence}sh\nX=42\n${fence}\n${fence}sh\ntest "$X" = 42\n${fence}\n`), undefined);
  assert.ok(await runDoc(`${fence}sh\nX=41\n${fence}\n${fence}sh\ntest "$X" = 42\n${fence}\n`));
});

test('an example that hangs fails at its timeout', async () => {
  const err = await runDoc(`${fence}sh timeout=1\nread -r line < <(tail -f /dev/null)\n${fence}\n`);
  assert.ok(err);
  assert.match(err.message, /did not finish within 1 s/);
});

test('a js example that never exits (an open handle) fails; one that throws fails', async () => {
  const hang = await runDoc(`${fence}js timeout=2\nsetInterval(() => {}, 1000);\n${fence}\n`);
  assert.match(hang?.message ?? '', /did not finish within 2 s/);
  const thrown = await runDoc(`${fence}js\nconst x = ciphertext;\n${fence}\n`);
  assert.match(thrown?.message ?? '', /ReferenceError: ciphertext is not defined/);
});

test('a js example imports the SDK by package name, as a user would', async () => {
  assert.is(
    await runDoc(
      `${fence}js\nimport { generateAccount } from 'medchain';\nimport { RecordVault } from 'medchain/vault';\nif (!generateAccount().id || !RecordVault) process.exit(1);\n${fence}\n`,
    ),
    undefined,
  );
});

test('a json example must parse', async () => {
  const err = await runDoc(`${fence}json\n{ "a": 1, }\n${fence}\n`);
  assert.match(err?.message ?? '', /does not parse/);
});

test.run();
