/**
 * Every example of README.md and docs/*.md, run as written (blocks.ts has the convention): one
 * temporary directory per document, linked to this checkout's dist/, node_modules and package.json,
 * with HOME there (so the keystore is fresh), `medchain` on the PATH (as `npm link` puts it) and free
 * loopback ports for the devnet (p2p, JSON-RPC, ops) and the vault through the environment variables
 * the README documents.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePortRun, portFree } from '../helpers/procs.js';
import { extractBlocks, RUNNABLE } from './blocks.js';
import { DocSession } from './session.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = [
  'README.md',
  ...(existsSync(join(repo, 'docs')) ? readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')) : []).map(
    (f) => `docs/${f}`,
  ),
];

async function envFor(dir: string): Promise<NodeJS.ProcessEnv> {
  const validators = 2;
  // p2p, JSON-RPC and ops (metrics, health) ports per validator, then the vault's.
  const base = await freePortRun(3 * validators + 1);
  const home = join(dir, 'home');
  mkdirSync(home);
  // `npm link` (the README's Quick start): `medchain` on the PATH, for documents that do not alias it.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'medchain'), `#!/bin/sh\nexec node "${join(dir, 'dist/src/cli.js')}" "$@"\n`, {
    mode: 0o755,
  });
  // Nothing of the engineer's own shell: no keystore, password, node, operator or ops token.
  const {
    MEDCHAIN_KEYSTORE: _k,
    MEDCHAIN_PASSWORD: _p,
    MEDCHAIN_RPC: _r,
    MEDCHAIN_RPC_TOKEN: _t,
    MEDCHAIN_OPS_TOKEN: _o,
    ...inherited
  } = process.env;
  return {
    ...inherited,
    HOME: home,
    PATH: `${bin}:${inherited.PATH ?? ''}`,
    NO_COLOR: '1',
    // New key files at scrypt's floor cost (2^14): each signing command opens one (2^17: ~1 s of CPU).
    MEDCHAIN_SCRYPT_N: '16384',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    MEDCHAIN_DEVNET_VALIDATORS: String(validators),
    MEDCHAIN_DEVNET_P2P_PORT: String(base),
    MEDCHAIN_DEVNET_RPC_PORT: String(base + validators),
    MEDCHAIN_RPC: `http://127.0.0.1:${base + validators}`,
    MEDCHAIN_DEVNET_OPS_PORT: String(base + 2 * validators),
    MEDCHAIN_OPS: `http://127.0.0.1:${base + 2 * validators}`,
    MEDCHAIN_VAULT_PORT: String(base + 3 * validators),
    MEDCHAIN_VAULT: `http://127.0.0.1:${base + 3 * validators}`,
  };
}

for (const doc of docs) {
  test(`${doc}: every example runs as written`, async () => {
    const blocks = extractBlocks(readFileSync(join(repo, doc), 'utf8')).filter(
      (b) => RUNNABLE.has(b.lang) && b.noTest === undefined,
    );
    assert.ok(blocks.length > 0, `${doc} has no runnable example`);
    const dir = mkdtempSync(join(tmpdir(), 'medchain-doc-'));
    DocSession.linkCheckout(dir, repo);
    const env = await envFor(dir);
    const s = new DocSession(dir, env, doc);
    try {
      for (const b of blocks) {
        const t0 = Date.now();
        await s.run(b);
        // Where the doc test spends its time (CI logs): one line per block.
        process.stdout.write(
          `  ${doc}:${b.line} ${b.lang}${b.background ? ' (background)' : ''} ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
        );
      }
    } finally {
      await s.close();
      // The devnet's nodes leave when their launcher does; wait for the RPC port to close.
      const port = Number(env.MEDCHAIN_DEVNET_RPC_PORT);
      for (let i = 0; i < 300 && !(await portFree(port)); i++) await new Promise((r) => setTimeout(r, 100));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
