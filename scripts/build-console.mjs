/**
 * Bundles the console (src/console) for browsers into dist/console: one script, one stylesheet,
 * one page, all from the project's own dependencies (the page loads nothing from another host).
 * The SDK's crypto resolves to its browser build through package.json "imports" (condition
 * "browser"). Prints the sizes, gzipped included.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/console');
const out = join(root, 'dist/console');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  // app.js, and vault.js which the app imports on first use (a clinician opening a record): the
  // vault's crypto stays out of what every visitor loads. Each is whole (no shared chunk, so the
  // app's tree-shaking is not undone by the vault's imports).
  entryPoints: { app: join(src, 'main.tsx'), vault: join(src, 'vault-entry.ts') },
  outdir: out,
  bundle: true,
  platform: 'browser',
  conditions: ['browser'],
  format: 'esm',
  target: ['es2022'],
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
copyFileSync(join(src, 'style.css'), join(out, 'style.css'));

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const f of readdirSync(out).sort()) {
  const b = readFileSync(join(out, f));
  process.stdout.write(`console ${f}: ${kib(b.length)} (${kib(gzipSync(b, { level: 9 }).length)} gzipped)\n`);
}
