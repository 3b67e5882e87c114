/**
 * The layering, checked by `npm run lint` (docs/ARCHITECTURE.md describes the layers). Imports go
 * one way, down:
 *   core      src/codec src/crypto src/chain src/tx src/errors.ts src/version.ts
 *   state     state/
 *   consensus consensus/
 *   edges     p2p/ rpc/ src/fhir/ src/ops/
 *   top       src/node/ (the composition root), src/vault/, src/cli/, src/cli.ts
 * The client SDK (src/client/) sits on the core alone, so it runs in a browser.
 * Sources are parsed with swc (TypeScript 7 has no compiler API for dependency-cruiser), which
 * keeps type-only imports, so a type import counts like any other.
 */
const CORE = '^src/(codec|crypto|chain|tx)/|^src/(errors|version)\\.ts$';
const TOP = '^src/(cli|client|node|vault)/|^src/cli\\.ts$';
/** What a browser loads: the SDK and the core, except the Node side of the crypto platform seam. */
const BROWSER_PATH = '^src/(codec|crypto|chain|tx|client|console)/|^src/(errors|version)\\.ts$';
const NODE_SIDE = '^src/crypto/platform/node(-keys)?\\.ts$|^src/crypto/pool/';

module.exports = {
  forbidden: [
    {
      name: 'console-imports-only-client-and-core',
      comment: 'The web console is a client of the node: the SDK, the core and its UI library, nothing of the node.',
      severity: 'error',
      from: { path: '^src/console/' },
      to: { pathNot: `${CORE}|^src/(client|console)/|^node_modules/preact/` },
    },
    {
      name: 'core-imports-only-core',
      comment: 'The bottom layer (codec, crypto, chain types, tx kinds) imports nothing above it.',
      severity: 'error',
      from: { path: CORE },
      to: { pathNot: `${CORE}|^node_modules/`, dependencyTypesNot: ['core'] },
    },
    {
      name: 'state-imports-only-core',
      comment: 'state/ sits on the core; consensus and the edges call it, never the reverse.',
      severity: 'error',
      from: { path: '^state/' },
      to: { pathNot: `${CORE}|^state/|^node_modules/`, dependencyTypesNot: ['core'] },
    },
    {
      name: 'consensus-imports-only-state-and-core',
      comment: 'consensus/ declares what it needs (Transport, Executor, DriverWal); p2p/ and the node provide it.',
      severity: 'error',
      from: { path: '^consensus/' },
      to: { pathNot: `${CORE}|^state/|^consensus/|^node_modules/`, dependencyTypesNot: ['core'] },
    },
    {
      name: 'layers-never-import-the-top',
      comment: 'consensus, p2p, state and rpc never import the CLI, the client SDK, the node or the vault.',
      severity: 'error',
      from: { path: '^(consensus|p2p|state|rpc)/' },
      to: { path: TOP },
    },
    {
      name: 'p2p-and-rpc-are-separate-edges',
      comment: 'The network and the JSON-RPC edge do not import each other; the node wires both.',
      severity: 'error',
      from: { path: '^(p2p|rpc)/' },
      to: { path: '^(p2p|rpc)/', pathNot: '^$1/' },
    },
    {
      name: 'client-imports-only-core',
      comment: 'The SDK runs in a browser and trusts only what it verifies: it imports the core, nothing of the node.',
      severity: 'error',
      from: { path: '^src/client/', pathNot: '^src/client/types\\.ts$' },
      to: { pathNot: `${CORE}|^src/client/|^node_modules/`, dependencyTypesNot: ['core'] },
    },
    {
      name: 'client-contract-from-rpc-schemas',
      // Exception: src/client/types.ts derives the typed RPC contract (params and results) from the
      // schemas the server validates with, by `import type` (erased at build time under
      // verbatimModuleSyntax, so nothing of rpc/ is loaded; the browser-bundle test would catch a
      // value import, since rpc/ reaches Node built-ins). The alternative is a hand-kept copy that drifts.
      comment: 'src/client/types.ts may add only the RPC method schemas (rpc/methods.ts, rpc/api/index.ts), as types.',
      severity: 'error',
      from: { path: '^src/client/types\\.ts$' },
      to: {
        pathNot: `${CORE}|^src/client/|^node_modules/|^rpc/methods\\.ts$|^rpc/api/index\\.ts$`,
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'no-node-builtins-in-the-browser-path',
      comment:
        'The SDK and the core run in a browser: Node built-ins only behind the crypto platform seam (#crypto-platform picks platform/node.ts or platform/browser.ts) and in the worker pool.',
      severity: 'error',
      from: { path: BROWSER_PATH, pathNot: NODE_SIDE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles between files.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'No cycles between folders either (e.g. consensus/engine <-> consensus/wal, state <-> state/exec).',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'sub-folders-below-their-parent',
      comment:
        "Sub-folders that their parent's files use (consensus/engine, consensus/wal, state/exec, state/smt, state/store, rpc/auth) never import those files: no folder <-> sub-folder cycle (state <-> state/exec was one). The folder rule cannot see these: it counts a folder with its sub-folders. The other sub-folders (rpc/api, state/domain, state/index, consensus/sim, p2p/tools) build on their parent instead.",
      severity: 'error',
      from: { path: '^(consensus|state|rpc)/(engine|wal|exec|smt|store|auth)/' },
      to: { path: '^$1/[^/]+\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a missing dependency is an error here, not at run time).',
      severity: 'error',
      from: {},
      // '#crypto-platform' is the package's own imports map, which points at the build (dist/, not
      // cruised). platform/node.ts and platform/browser.ts are cruised on their own.
      to: { couldNotResolve: true, pathNot: '^#crypto-platform$' },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: '^node_modules' },
    // Exception: src/errors.ts, src/version.ts and src/polyfill.ts are import-free leaves that every
    // layer uses. A folder here includes its sub-folders, so with them in, the folder src/ (which also
    // holds the top: node, cli, vault) would sit in a cycle with every layer; left out, the folder
    // rule sees the real structure. Being import-free, they cannot break a layer rule themselves.
    // The console's .tsx views are left out too: dependency-cruiser runs swc without JSX. Its .ts
    // modules are checked, and its bundle is built for the browser (no Node built-in resolves there).
    exclude: { path: '^(node_modules|dist)/|^src/(errors|version|polyfill)\\.ts$|\\.tsx$' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
    },
  },
};
