import {
  type Genesis,
  identityId,
  MAX_VALIDATORS_LIMIT,
  maxValidators,
  optionalParamsProblem,
} from '../../src/chain/genesis.js';
import type { ChainEvent } from '../../src/chain/receipt.js';
import type { Validator } from '../../src/chain/validators.js';
import { equal } from '../../src/codec/bytes.js';
import { isValidPublicKey } from '../../src/crypto/ed25519.js';
import { MedchainError } from '../../src/errors.js';
import { IdentityType, MAX_VALIDATOR_POWER, ORG_NAME_MAX } from '../../src/tx/kinds.js';
import type { BlockContext, ExecContext, StateMachine, TxKindHandler } from '../exec/machine.js';
import { StateView } from '../exec/view.js';
import type { StagedState, StateStore } from '../state-store.js';
import { accessHandlers, DUE_BUCKET_MS, flagOverdueReviews } from './access-tx.js';
import { consentHandlers } from './consent.js';
import { evidence } from './evidence.js';
import {
  activateGovernance,
  expireProposals,
  governanceHandlers,
  toValidators,
  validatorSet,
  writeValidatorSet,
} from './governance.js';
import { identityHandlers, putIdentity } from './identity.js';
import { NS } from './keys.js';
import { readKeys } from './read-set.js';
import { recordHandlers } from './records.js';
import { senderError } from './sender.js';
import { encodeTuple, NO_LICENSE, type ValidatorEntry } from './values.js';

export const GenesisErrorCode = {
  BAD_ORGANIZATION: 'GENESIS_BAD_ORGANIZATION',
  BAD_VALIDATOR: 'GENESIS_BAD_VALIDATOR',
  BAD_PARAMS: 'GENESIS_BAD_PARAMS',
} as const;
export class GenesisError extends MedchainError<(typeof GenesisErrorCode)[keyof typeof GenesisErrorCode]> {}

const HANDLERS: readonly TxKindHandler[] = [
  ...identityHandlers,
  ...recordHandlers,
  ...consentHandlers,
  ...accessHandlers,
  ...governanceHandlers,
  evidence,
] as TxKindHandler[];

// Kind numbers are small: a dense table, no Map lookup per tx.
const TABLE: (TxKindHandler | undefined)[] = [];
for (const h of HANDLERS) TABLE[h.kind] = h;

function initGenesis(ctx: ExecContext, genesis: Genesis): void {
  const st = ctx.state;
  const param = optionalParamsProblem(genesis.params);
  if (param !== '') throw new GenesisError(GenesisErrorCode.BAD_PARAMS, { param });
  const orgIds: Uint8Array[] = [];
  for (const o of genesis.organizations) {
    // A key entering state: canonical, not small order, torsion-free; never reused.
    if (!isValidPublicKey(o.pubkey)) throw new GenesisError(GenesisErrorCode.BAD_ORGANIZATION, { reason: 'key' });
    if (o.name.length === 0 || o.name.length > ORG_NAME_MAX || !/^[\x20-\x7e]+$/.test(o.name))
      throw new GenesisError(GenesisErrorCode.BAD_ORGANIZATION, { reason: 'name' });
    const id = identityId(o.pubkey);
    if (orgIds.some((x) => equal(x, id)))
      throw new GenesisError(GenesisErrorCode.BAD_ORGANIZATION, { reason: 'duplicate' });
    orgIds.push(id);
    putIdentity(st, id, {
      type: IdentityType.ORGANIZATION,
      pubkey: o.pubkey,
      org: new Uint8Array(0),
      registeredAt: genesis.time,
      suspended: false,
      name: o.name,
      ...NO_LICENSE,
    });
    ctx.emit({ type: 'identity.registered', attrs: { id, identityType: 'organization' } });
  }
  const set: ValidatorEntry[] = [];
  for (const v of genesis.validators) {
    if (!orgIds.some((x) => equal(x, v.org)) || set.some((e) => equal(e[0], v.org)))
      throw new GenesisError(GenesisErrorCode.BAD_VALIDATOR, { reason: 'org' });
    if (!isValidPublicKey(v.pubkey) || set.some((e) => equal(e[1], v.pubkey)))
      throw new GenesisError(GenesisErrorCode.BAD_VALIDATOR, { reason: 'key' });
    if (!Number.isSafeInteger(v.power) || v.power < 1 || v.power > MAX_VALIDATOR_POWER)
      throw new GenesisError(GenesisErrorCode.BAD_VALIDATOR, { reason: 'power' });
    set.push([v.org, v.pubkey, v.power]);
  }
  if (set.length === 0) throw new GenesisError(GenesisErrorCode.BAD_VALIDATOR, { reason: 'empty' });
  if (set.length > Math.min(maxValidators(genesis.params), MAX_VALIDATORS_LIMIT))
    throw new GenesisError(GenesisErrorCode.BAD_VALIDATOR, { reason: 'size' });
  writeValidatorSet(st, set);
  st.set(NS.EMERGENCY_CURSOR, encodeTuple([Math.floor(genesis.time / DUE_BUCKET_MS)]));
}

/**
 * The medical state machine: identities, credentials, record pointers,
 * consents, audited access, break-glass, erasure, governance. Stateless
 * itself (all state is in the view), so one instance serves every block.
 */
export const medicalStateMachine: StateMachine = {
  kind: (k) => TABLE[k],
  initGenesis,
  endBlock(ctx) {
    activateGovernance(ctx);
    expireProposals(ctx);
    flagOverdueReviews(ctx, NS.EMERGENCY_CURSOR);
  },
  validators: (state): Validator[] => toValidators(validatorSet(state)),
  senderError,
  readKeys,
};

/**
 * Runs initGenesis over an empty store and stages the result (the caller
 * writes `store.writeOps(staged)` in the genesis batch and advances).
 */
export function stageGenesis(
  machine: StateMachine,
  store: StateStore,
  genesis: Genesis,
): { staged: StagedState; events: ChainEvent[]; validators: Validator[] } {
  const view = new StateView(store);
  const events: ChainEvent[] = [];
  const bctx: BlockContext = {
    chainId: genesis.chainId,
    height: 0,
    time: genesis.time,
    proposer: new Uint8Array(32),
    params: genesis.params,
  };
  machine.initGenesis({ ...bctx, state: view, emit: (e) => events.push(e) }, genesis);
  return { staged: store.stage(view.changes()), events, validators: machine.validators(view) };
}
