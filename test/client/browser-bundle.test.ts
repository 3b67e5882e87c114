/**
 * The SDK runs in a browser (keys and decryption stay there): bundling its entry points for the
 * browser platform, with the `browser` import condition, must reach no Node built-in module and no
 * free Node global. Guarded feature checks such as `globalThis.process?.env` are allowed: they are
 * member reads, not free identifiers, and fall back when absent.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ENTRY_POINTS = ['../../src/client/index.js', '../../src/client/vault/index.js'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);
/** Globals a browser lacks. esbuild's `define` replaces only free references, so a hit is a real use. */
const NODE_GLOBALS = ['process', 'Buffer', 'global', '__dirname', '__filename', 'require', 'setImmediate'];
const MARK = '__NODE_GLOBAL__';

const isBuiltin = (spec: string): boolean =>
  spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0] as string);

type Input = Pick<esbuild.BuildOptions, 'entryPoints' | 'stdin'>;

async function bundle(input: Input): Promise<{ builtins: string[]; globals: string[] }> {
  const builtins: string[] = [];
  const result = await esbuild.build({
    ...input,
    bundle: true,
    platform: 'browser',
    conditions: ['browser'],
    format: 'esm',
    write: false,
    outdir: 'browser-bundle',
    logLevel: 'silent',
    define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, `${MARK}${g}`])),
    plugins: [
      {
        name: 'record-node-builtins',
        setup(build) {
          // Recorded and left external, so one run lists every built-in reached and who imports it.
          build.onResolve({ filter: /.*/ }, (args) => {
            if (!isBuiltin(args.path)) return undefined;
            builtins.push(`${args.path} from ${args.importer}`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const globals: string[] = [];
  for (const file of result.outputFiles) {
    for (const m of file.text.matchAll(new RegExp(`.{0,60}${MARK}(\\w+).{0,20}`, 'g')))
      globals.push(`${m[1]}: ${m[0].replace(MARK, '')}`);
  }
  return { builtins, globals };
}

test('the SDK bundles for the browser without Node built-ins or Node globals', async () => {
  const { builtins, globals } = await bundle({ entryPoints: ENTRY_POINTS });
  assert.equal(builtins, [], `Node built-ins reached:\n${builtins.join('\n')}`);
  assert.equal(globals, [], `Node globals used:\n${globals.join('\n')}`);
});

test('the check reports a Node built-in and a free Node global, not a guarded or shadowed one', async () => {
  const { builtins, globals } = await bundle({
    stdin: {
      contents: [
        "import { createHash } from 'node:crypto';",
        "import { join } from 'path';",
        'export const h = [createHash, join, Buffer.from];',
        'export const env = globalThis.process?.env;',
        'export const f = (process) => process;',
      ].join('\n'),
    },
  });
  assert.equal(
    builtins.map((b) => b.split(' ')[0]),
    ['node:crypto', 'path'],
  );
  assert.equal(
    globals.map((g) => g.split(':')[0]),
    ['Buffer'],
  );
});

test.run();
