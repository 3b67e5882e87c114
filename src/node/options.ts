import { defaultMempoolOptions, type MempoolOptions } from '../../consensus/mempool.js';
import { type ConsensusNetOptions, defaultConsensusNetOptions } from '../../p2p/consensus-net.js';
import {
  defaultP2pOptions,
  defaultTxBundlerOptions,
  type P2pOptions,
  type TxBundlerOptions,
} from '../../p2p/options.js';
import { defaultSyncOptions, type SyncOptions } from '../../p2p/sync.js';
import { defaultRpcOptions, type RateLimitOptions, type RpcOptions } from '../../rpc/index.js';
import { defaultVaultOptions, type VaultOptions } from '../vault/options.js';
import type { NodeConfig } from './config.js';

/**
 * Every subsystem's options, each starting from that subsystem's own defaults
 * (lodestar's IBeaconNodeOptions): one object, so a limit shared by two
 * subsystems (the gossip size, the tx bundle limits) is set in one place.
 */
export interface NodeSubsystemOptions {
  mempool: MempoolOptions;
  p2p: Omit<P2pOptions, 'chainId'>;
  /** Tx gossip, both ways: the bundler sends within these limits and the validator refuses anything beyond. */
  txGossip: TxBundlerOptions;
  consensusNet: Omit<ConsensusNetOptions, 'maxProposalBytes'>;
  sync: SyncOptions;
  rpc: RpcOptions;
  vault: Omit<VaultOptions, 'dir'>;
}

export const defaultNodeOptions: NodeSubsystemOptions = {
  mempool: defaultMempoolOptions,
  p2p: defaultP2pOptions,
  txGossip: defaultTxBundlerOptions,
  consensusNet: defaultConsensusNetOptions,
  sync: defaultSyncOptions,
  rpc: defaultRpcOptions,
  vault: defaultVaultOptions,
};

/** Per-subsystem overrides (tests, benchmarks): each given field replaces the default's. */
export type NodeOptionOverrides = { [K in keyof NodeSubsystemOptions]?: Partial<NodeSubsystemOptions[K]> };

/** The defaults, then what config.json says, then `overrides`. */
export function nodeOptions(cfg: NodeConfig, overrides: NodeOptionOverrides = {}): NodeSubsystemOptions {
  const d = defaultNodeOptions;
  const { rpc: r, p2p: p, vault: v } = cfg;
  return {
    mempool: { ...d.mempool, ...overrides.mempool },
    p2p: { ...d.p2p, listen: p.listen, peers: p.peers, open: p.open, allowedPeers: p.allowedPeers, ...overrides.p2p },
    txGossip: { ...d.txGossip, ...overrides.txGossip },
    consensusNet: { ...d.consensusNet, ...overrides.consensusNet },
    sync: { ...d.sync, ...overrides.sync },
    rpc: {
      ...d.rpc,
      host: r.host,
      port: r.port,
      authToken: r.token ? r.token : null,
      ...(r.allowedOrigins ? { allowedOrigins: r.allowedOrigins } : {}),
      // null turns the limit off; a partial one keeps the default's other fields.
      rateLimit:
        r.rateLimit === null
          ? null
          : r.rateLimit === undefined
            ? d.rpc.rateLimit
            : ({ ...d.rpc.rateLimit, ...r.rateLimit } as RateLimitOptions),
      ...overrides.rpc,
    },
    vault: {
      ...d.vault,
      ...(v?.host === undefined ? {} : { host: v.host }),
      ...(v?.port === undefined ? {} : { port: v.port }),
      ...(v?.maxRecordBytes === undefined ? {} : { maxRecordBytes: v.maxRecordBytes }),
      ...overrides.vault,
    },
  };
}
