import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerNodeApi } from '../../rpc/api/index.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { type RpcAddress, RpcServer, StaticMount, VaultProxy } from '../../rpc/index.js';
import { emptyBlockIntervalMs } from '../chain/genesis.js';
import { AuditFeed, defaultFeedOptions, FhirHandler, scopedAuthorizer } from '../fhir/index.js';
import { type NodeOpsDeps, type OpsServer, startOps } from '../ops/index.js';
import { type RunningVault, startVault } from '../vault/index.js';
import type { Wiring } from './build.js';
import { inHome } from './config.js';

/**
 * The node's listeners, started last (once the chain, p2p and consensus
 * exist), each closer registered before it can fail half-way.
 */

/** npm run build bundles the console here (dist/console, beside dist/src). */
const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../console');

/** The /vault mount of each node's RPC server, pointed at the vault once startNodeVault has started it. */
const vaultProxies = new WeakMap<Wiring, VaultProxy>();

/** JSON-RPC, the console at <rpc url>/console and, unless turned off, the FHIR facade at <rpc url>/fhir. */
export async function startRpc(w: Wiring, node: NodeApi): Promise<{ server: RpcServer; address: RpcAddress }> {
  const server = new RpcServer(w.opts.rpc, {
    logger: w.log.child({ module: 'rpc' }),
    ...(w.metrics ? { onCall: w.metrics.rpcCall.bind(w.metrics) } : {}),
  });
  w.closers.add('rpc', () => server.close());
  const auth = registerNodeApi(server, node);
  let address: RpcAddress | undefined;
  if (w.cfg.fhir?.enabled !== false) {
    const log = w.log.child({ module: 'fhir' });
    server.mount(
      new FhirHandler(
        {},
        {
          api: node,
          source: { chainId: node.chain.chainId, node: w.cfg.moniker },
          baseUrl: () => `${address?.url ?? ''}/fhir`,
          // The same sign-in and scopes as JSON-RPC: the operator token, or an auth_login session.
          authorize: scopedAuthorizer({
            api: node,
            auth,
            token: w.opts.rpc.authToken,
            allowedOrigins: server.opts.allowedOrigins,
            logger: log,
          }),
          logger: log,
        },
      ),
    );
  }
  // The console (the web app built into dist/console) on the same port: same origin as the API.
  server.mount(new StaticMount({ basePath: '/console', dir: CONSOLE_DIR }));
  // The vault beside the node, under the same origin for the console (503 until it runs, or without one).
  const proxy = new VaultProxy({}, w.log.child({ module: 'vault-proxy' }));
  vaultProxies.set(w, proxy);
  server.mount(proxy);
  address = await server.listen();
  return { server, address };
}

/** The ITI-20 audit feed, when config.fhir.feed.url is set. */
export function startFeed(w: Wiring, node: NodeApi): void {
  const f = w.cfg.fhir?.feed;
  if (f === undefined || f === null || !f.url) return;
  const opts = { ...defaultFeedOptions, ...f };
  const feed = new AuditFeed(
    { ...opts, cursorFile: inHome(w.home, opts.cursorFile) },
    {
      api: node,
      source: { chainId: node.chain.chainId, node: w.cfg.moniker },
      logger: w.log.child({ module: 'fhir-feed' }),
      signal: w.signal,
    },
  );
  w.closers.add('fhir-feed', () => feed.close());
  w.metrics?.attachFeed(feed, () => node.chain.head.height);
  feed.start();
}

/** What the operations listener reads of the node (a view, so this file does not import node.ts). */
export type OpsNodeView = Pick<NodeOpsDeps, 'chain' | 'host' | 'sync' | 'mempool' | 'pool'> & {
  readonly validatorId: Uint8Array | undefined;
  readonly rpc: { readonly wsConnections: number } | undefined;
};

/** The operations listener (metrics, health, backup), when enabled. */
export async function startOpsListener(
  w: Wiring,
  node: OpsNodeView,
): Promise<{ server: OpsServer; url: string } | undefined> {
  const { metrics } = w;
  if (metrics === undefined || !w.cfg.ops?.enabled) return undefined;
  const ops = await startOps(w.cfg.ops, metrics, {
    chain: node.chain,
    host: node.host,
    sync: node.sync,
    mempool: node.mempool,
    pool: node.pool,
    dataDir: join(w.home, 'db'),
    backupTokenFile: join(w.home, 'ops-token'),
    configuredPeers: w.cfg.p2p.peers.length,
    heartbeatMs: emptyBlockIntervalMs(w.genesis.params),
    validatorId: () => node.validatorId,
    wsConnections: () => node.rpc?.wsConnections ?? 0,
    log: w.log.child({ module: 'ops' }),
  });
  w.closers.add('ops', () => ops.server.close());
  return ops;
}

/**
 * The custodian vault beside the node, when config.vault.enabled: it reads the
 * chain over this node's RPC, as the operator (the node's token).
 */
export async function startNodeVault(
  w: Wiring,
  rpc: RpcAddress | undefined,
  custodianSecretKey: Uint8Array | undefined,
): Promise<RunningVault | undefined> {
  const v = w.cfg.vault;
  if (v?.enabled !== true || rpc === undefined || custodianSecretKey === undefined) return undefined;
  const token = w.opts.rpc.authToken;
  // Lets the /vault proxy name the caller it forwards for (per-caller rate at the vault).
  const proxySecret = randomBytes(32).toString('hex');
  const vault = await startVault(
    { ...w.opts.vault, dir: inHome(w.home, v.dir ?? 'vault'), proxySecret },
    {
      rpcUrl: rpc.url,
      ...(token === null ? {} : { rpcToken: token }),
      custodianSecretKey,
      log: w.log.child({ module: 'vault' }),
      signal: w.signal,
    },
  );
  w.closers.add('vault', () => vault.close());
  vaultProxies.get(w)?.setTarget(vault.url, proxySecret);
  const { outcomes } = vault;
  w.metrics?.attachVault(() => [...outcomes].map(([outcome, n]) => [{ outcome }, n]));
  return vault;
}
