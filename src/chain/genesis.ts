import { from0x, to0x, utf8 } from '../codec/bytes.js';
import { encode } from '../codec/cbor.js';
import { sha256, sha256Parts } from '../crypto/hash.js';

/** Consensus-relevant parameters, fixed in genesis. All times are ms of block time. */
export interface ChainParams {
  maxBlockTxs: number;
  /** A transaction's expiresAt may be at most this far past the block time. */
  maxTxLifetimeMs: number;
  /** Validators reject proposals whose time is further than this ahead of their clock. */
  maxClockDriftMs: number;
  /** Governance: a validator-set change takes effect this many blocks after approval. */
  governanceDelayBlocks: number;
  /**
   * Upper bound of the validator set (ADD_VALIDATOR past it fails LIMIT_EXCEEDED). Optional so
   * genesis files and hashes from before it stay valid: absent means DEFAULT_MAX_VALIDATORS.
   */
  maxValidators?: number;
  /**
   * Governance: a proposal takes votes up to this many blocks after its own; then it expires and
   * can never be approved. Optional (absent: DEFAULT_PROPOSAL_TTL_BLOCKS), as maxValidators.
   */
  proposalTtlBlocks?: number;
  /**
   * Consensus: at round 0 a proposer waits this long for transactions before proposing an empty
   * block (the heartbeat of an idle chain). A chain parameter, so every node proposes and times
   * out at one pace. Optional (absent: DEFAULT_EMPTY_BLOCK_INTERVAL_MS), as maxValidators.
   */
  emptyBlockIntervalMs?: number;
  policy: {
    /** Suspend a grantee after this many denials within denialWindowMs (0 disables). */
    denialThreshold: number;
    denialWindowMs: number;
    /** How long a break-glass emergency access lasts. */
    breakGlassMs: number;
    /** The organization must review an emergency access within this time. */
    reviewDeadlineMs: number;
    /** Guardian recovery: delay during which the current key can cancel. */
    recoveryDelayMs: number;
  };
}

/** Votes name validators by a 10-bit index (src/tx/bodies.ts), so no set may be larger. */
export const MAX_VALIDATORS_LIMIT = 1024;
export const DEFAULT_MAX_VALIDATORS = 100;
export const maxValidators = (p: ChainParams): number => p.maxValidators ?? DEFAULT_MAX_VALIDATORS;
/** About 14 hours at 5-second blocks: a day's shift to collect the votes. */
export const DEFAULT_PROPOSAL_TTL_BLOCKS = 10_000;
export const proposalTtlBlocks = (p: ChainParams): number => p.proposalTtlBlocks ?? DEFAULT_PROPOSAL_TTL_BLOCKS;
export const DEFAULT_EMPTY_BLOCK_INTERVAL_MS = 5000;
export const emptyBlockIntervalMs = (p: ChainParams): number =>
  p.emptyBlockIntervalMs ?? DEFAULT_EMPTY_BLOCK_INTERVAL_MS;

/** Why the optional parameters are unusable ('' if they are fine): positive safe integers when set. */
export function optionalParamsProblem(p: ChainParams): string {
  for (const k of ['maxValidators', 'proposalTtlBlocks', 'emptyBlockIntervalMs'] as const) {
    const v = p[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) return k;
  }
  return '';
}

export const defaultChainParams: ChainParams = {
  maxBlockTxs: 10_000,
  maxTxLifetimeMs: 10 * 60_000,
  maxClockDriftMs: 10_000,
  governanceDelayBlocks: 10,
  policy: {
    denialThreshold: 5,
    denialWindowMs: 60 * 60_000,
    breakGlassMs: 24 * 3_600_000,
    reviewDeadlineMs: 72 * 3_600_000,
    recoveryDelayMs: 48 * 3_600_000,
  },
};

export interface GenesisOrganization {
  /** The organization's identity key (its id is derived from it). */
  pubkey: Uint8Array;
  /** Public name of the organization (not PHI). */
  name: string;
}

export interface GenesisValidator {
  /** The organization's identity id. */
  org: Uint8Array;
  /** The validator node's consensus key. */
  pubkey: Uint8Array;
  power: number;
}

export interface Genesis {
  chainId: string;
  /** Block time of genesis, ms. */
  time: number;
  params: ChainParams;
  organizations: GenesisOrganization[];
  validators: GenesisValidator[];
}

/** An identity's id is fixed at registration from its first key; keys rotate, the id never moves. */
export const identityId = (pubkey: Uint8Array): Uint8Array => sha256Parts([utf8('medchain/identity'), pubkey]);

function paramsTuple(p: ChainParams): unknown[] {
  const t: unknown[] = [
    p.maxBlockTxs,
    p.maxTxLifetimeMs,
    p.maxClockDriftMs,
    p.governanceDelayBlocks,
    [
      p.policy.denialThreshold,
      p.policy.denialWindowMs,
      p.policy.breakGlassMs,
      p.policy.reviewDeadlineMs,
      p.policy.recoveryDelayMs,
    ],
  ];
  // Appended in this order up to the last one set (earlier ones filled with their defaults), so
  // an existing genesis keeps its bytes and hash.
  const ext = [p.maxValidators, p.proposalTtlBlocks, p.emptyBlockIntervalMs];
  const defaults = [DEFAULT_MAX_VALIDATORS, DEFAULT_PROPOSAL_TTL_BLOCKS, DEFAULT_EMPTY_BLOCK_INTERVAL_MS];
  const last = ext.findLastIndex((v) => v !== undefined);
  for (let i = 0; i <= last; i++) t.push(ext[i] ?? defaults[i]);
  return t;
}

export const encodeGenesis = (g: Genesis): Uint8Array =>
  encode([
    g.chainId,
    g.time,
    paramsTuple(g.params),
    g.organizations.map((o) => [o.pubkey, o.name]),
    g.validators.map((v) => [v.org, v.pubkey, v.power]),
  ]);

export const genesisHash = (g: Genesis): Uint8Array => sha256(encodeGenesis(g));

// ---- genesis.json: the human-edited file, bytes as 0x hex ----

export interface GenesisJson {
  chainId: string;
  time: number;
  params: ChainParams;
  organizations: Array<{ pubkey: string; name: string }>;
  validators: Array<{ org: string; pubkey: string; power: number }>;
}

export const genesisToJson = (g: Genesis): GenesisJson => ({
  chainId: g.chainId,
  time: g.time,
  params: g.params,
  organizations: g.organizations.map((o) => ({ pubkey: to0x(o.pubkey), name: o.name })),
  validators: g.validators.map((v) => ({ org: to0x(v.org), pubkey: to0x(v.pubkey), power: v.power })),
});

export const genesisFromJson = (j: GenesisJson): Genesis => ({
  chainId: j.chainId,
  time: j.time,
  params: { ...defaultChainParams, ...j.params, policy: { ...defaultChainParams.policy, ...j.params?.policy } },
  organizations: j.organizations.map((o) => ({ pubkey: from0x(o.pubkey), name: o.name })),
  validators: j.validators.map((v) => ({ org: from0x(v.org), pubkey: from0x(v.pubkey), power: v.power })),
});
