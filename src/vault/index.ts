/** The custodian vault: `medchain vault`, or a mode of `medchain start` (config `vault: {enabled, port}`). */
import type { Server } from 'node:http';
import { identityId } from '../chain/genesis.js';
import { publicKeyOf } from '../crypto/ed25519.js';
import { VerifierPool } from '../crypto/pool/pool.js';
import { RpcVaultChain, type VaultChain } from './chain.js';
import { followErasures } from './follower.js';
import { listenVault } from './http.js';
import { defaultVaultOptions, VAULT_VERIFY_BATCHING, type VaultOptions } from './options.js';
import { type VaultLogger, VaultService } from './service.js';
import { VaultStore } from './store.js';

export { type FinalReceipt, type IdentityView, type PointerView, RpcVaultChain, type VaultChain } from './chain.js';
export { type Disclosure, judgeDisclosure } from './disclosure.js';
export { verifyReceipt } from './erasure.js';
export { defaultVaultOptions, type VaultOptions } from './options.js';
export { type Served, type VaultLogger, VaultService } from './service.js';
export { type Refusal, VaultStore } from './store.js';

export interface RunningVault {
  url: string;
  service: VaultService;
  /** Requests by outcome (`ok` or the coded error) since start. */
  outcomes: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** Opens the store, connects to the node, starts following erasures and listens. */
export async function startVault(
  o: Partial<VaultOptions> & { dir: string },
  deps: {
    rpcUrl: string;
    rpcToken?: string;
    custodianSecretKey: Uint8Array;
    log: VaultLogger;
    chain?: VaultChain;
    /** The node's shutdown signal, when the node serves the vault: stops following erasures. */
    signal?: AbortSignal;
  },
): Promise<RunningVault> {
  // The node's operator token also opens the vault's refusal log, unless one is configured.
  const opts: VaultOptions = {
    ...defaultVaultOptions,
    ...(deps.rpcToken === undefined ? {} : { operatorToken: deps.rpcToken }),
    ...o,
  };
  const store = await VaultStore.open(opts.dir);
  const chain = deps.chain ?? (await RpcVaultChain.connect(deps.rpcUrl, deps.rpcToken));
  const publicKey = publicKeyOf(deps.custodianSecretKey);
  const pool =
    opts.verifyWorkers > 0 ? new VerifierPool({ workers: opts.verifyWorkers, ...VAULT_VERIFY_BATCHING }) : undefined;
  const service = new VaultService(opts, {
    store,
    chain,
    custodian: { id: identityId(publicKey), secretKey: deps.custodianSecretKey, publicKey },
    log: deps.log,
    ...(pool === undefined ? {} : { verifier: pool }),
  });
  const ctl = new AbortController();
  deps.signal?.addEventListener('abort', () => ctl.abort(), { once: true });
  let follower: Promise<void> = Promise.resolve();
  const stop = async (): Promise<void> => {
    ctl.abort();
    await follower;
    await service.close();
    await pool?.close();
    await store.close();
  };
  let server: Server;
  let url: string;
  let outcomes: ReadonlyMap<string, number>;
  try {
    if (opts.followErasures) {
      const f = followErasures(service, deps.rpcUrl, deps.log, ctl.signal, deps.rpcToken);
      follower = f.done;
      await f.ready;
    }
    ({ server, url, outcomes } = await listenVault(service, opts.host, opts.port));
  } catch (err) {
    await stop();
    throw err;
  }
  deps.log.info({ url, custodian: Buffer.from(service.custodianId).toString('hex') }, 'vault listening');
  return {
    url,
    service,
    outcomes,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await stop();
    },
  };
}
