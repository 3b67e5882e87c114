import { identityId, MAX_VALIDATORS_LIMIT, maxValidators, proposalTtlBlocks } from '../../src/chain/genesis.js';
import type { Validator } from '../../src/chain/validators.js';
import { compare, equal, utf8 } from '../../src/codec/bytes.js';
import { SignPurpose } from '../../src/crypto/domain.js';
import { isValidPublicKey } from '../../src/crypto/ed25519.js';
import { BODY_CODECS, type ProposeValidatorChangeBody } from '../../src/tx/bodies.js';
import { consensusKeyProofPayload } from '../../src/tx/cosign.js';
import { GovAction, IdentityType, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import type { ExecContext } from '../exec/machine.js';
import type { StateView } from '../exec/view.js';
import { handler, OK } from './handler.js';
import { putIdentity } from './identity.js';
import { identityKey, identityPubkeyKey, NS, proposalKey, validatorPeerKey } from './keys.js';
import { actor, fail, getIdentity, verifyCosig, verifyKeyProof } from './rules.js';
import {
  decodeProposal,
  decodeTuple,
  decodeValidatorSet,
  encodeProposal,
  encodeTuple,
  encodeValidatorSet,
  NO_LICENSE,
  ProposalStatus,
  type ValidatorEntry,
} from './values.js';

const GOV_ACTION_NAMES = ['', 'add_organization', 'add_validator', 'remove_validator', 'join'];

export function validatorSet(st: { get(k: Uint8Array): Uint8Array | undefined }): ValidatorEntry[] {
  const v = st.get(NS.VALIDATOR_SET);
  return v === undefined ? [] : decodeValidatorSet(v);
}

export const toValidators = (set: readonly ValidatorEntry[]): Validator[] =>
  set.map(([id, pubkey, power]) => ({ id, pubkey, power }));

export const isValidatorOrg = (st: StateView, org: Uint8Array): boolean =>
  validatorSet(st).some((v) => equal(v[0], org));

export function writeValidatorSet(st: StateView, set: ValidatorEntry[]): void {
  set.sort((a, b) => compare(a[0], b[0]));
  st.set(NS.VALIDATOR_SET, encodeValidatorSet(set));
}

/** Why a new organization cannot enter ('' if it can): its key is new, valid and proves possession. */
function newOrgProblem(st: StateView, chainId: string, b: { pubkey: Uint8Array; proof: Uint8Array }): string {
  const id = identityId(b.pubkey);
  if (st.has(identityKey(id))) return ReasonCode.ALREADY_EXISTS;
  if (st.has(identityPubkeyKey(b.pubkey))) return ReasonCode.KEY_IN_USE;
  if (!isValidPublicKey(b.pubkey)) return ReasonCode.INVALID_KEY;
  if (!verifyKeyProof(chainId, id, b.pubkey, b.proof)) return ReasonCode.BAD_PROOF;
  return '';
}

/** Why an organization cannot take a seat in the set ('' if it can). */
function seatProblem(
  set: readonly ValidatorEntry[],
  org: Uint8Array,
  consensusKey: Uint8Array,
  maxSet: number,
): string {
  if (set.some((v) => equal(v[0], org))) return ReasonCode.ALREADY_EXISTS;
  // Two entries with one consensus key make an invalid set that no engine can load.
  if (set.some((v) => equal(v[1], consensusKey))) return ReasonCode.KEY_IN_USE;
  if (!isValidPublicKey(consensusKey)) return ReasonCode.INVALID_KEY;
  if (set.length >= maxSet) return ReasonCode.LIMIT_EXCEEDED;
  return '';
}

/** Why a change cannot apply to the current state ('' if it can). Checked at proposal and again at activation. */
function changeProblem(st: StateView, ctx: ExecContext, b: ProposeValidatorChangeBody): string {
  const set = validatorSet(st);
  const { chainId } = ctx;
  const maxSet = Math.min(maxValidators(ctx.params), MAX_VALIDATORS_LIMIT);
  switch (b.action) {
    case GovAction.ADD_ORGANIZATION:
      return newOrgProblem(st, chainId, b);
    case GovAction.ADD_VALIDATOR: {
      const org = getIdentity(st, b.org);
      if (org === undefined) return ReasonCode.UNKNOWN_IDENTITY;
      if (org.type !== IdentityType.ORGANIZATION) return ReasonCode.WRONG_IDENTITY_TYPE;
      return seatProblem(set, b.org, b.consensusKey, maxSet);
    }
    case GovAction.JOIN:
      // Both halves are checked here, at every vote and again at activation.
      return newOrgProblem(st, chainId, b) || seatProblem(set, identityId(b.pubkey), b.consensusKey, maxSet);
    case GovAction.REMOVE_VALIDATOR:
      if (!set.some((v) => equal(v[0], b.org))) return ReasonCode.NOT_FOUND;
      if (set.length <= 1) return ReasonCode.INVALID_CHANGE;
      return '';
  }
}

/** Yes votes of current validators carry more than 2/3 of the current power. */
function approved(set: readonly ValidatorEntry[], yes: readonly Uint8Array[]): boolean {
  let total = 0;
  let forIt = 0;
  for (const [org, , power] of set) {
    total += power;
    if (yes.some((y) => equal(y, org))) forIt += power;
  }
  return 3 * forIt > 2 * total;
}

/**
 * A validator has at most this many proposals open or expired-and-not-yet-deleted, so governance
 * state stays bounded by the set's size whatever a validator sends (LIMIT_EXCEEDED past it).
 */
export const MAX_OPEN_PROPOSALS = 8;

/** [due height, proposal id, proposer]: an open proposal expires at its due height, a tombstone is deleted. */
type Due = [number, Uint8Array, Uint8Array];
const dueList = (st: StateView): Due[] => {
  const v = st.get(NS.GOV_DUE);
  return v === undefined ? [] : (decodeTuple(v) as Due[]);
};
function writeDue(st: StateView, due: Due[]): void {
  if (due.length === 0) st.delete(NS.GOV_DUE);
  else st.set(NS.GOV_DUE, encodeTuple(due));
}

/** Records the yes votes; true when they approve (the change is then pending its activation height). */
function recordVote(ctx: ExecContext, pid: Uint8Array, body: unknown[], yes: Uint8Array[], expires: number): boolean {
  const st = ctx.state;
  const ok = approved(validatorSet(st), yes);
  const activation = ok ? ctx.height + ctx.params.governanceDelayBlocks : 0;
  const status = ok ? ProposalStatus.APPROVED : ProposalStatus.OPEN;
  st.set(proposalKey(pid), encodeProposal({ body, yes, status, activation, expires }));
  if (!ok) return false;
  const pv = st.get(NS.GOV_PENDING);
  const pending = pv === undefined ? [] : (decodeTuple(pv) as [number, Uint8Array][]);
  pending.push([activation, pid]);
  st.set(NS.GOV_PENDING, encodeTuple(pending));
  ctx.emit({ type: 'governance.approved', attrs: { proposal: pid, activationHeight: activation } });
  return true;
}

/**
 * A seat's consensus key signed it: chain id, organization, key and peer id. Checked once, at
 * proposal (the body never changes after), last: after every cheap check of the change.
 */
function consensusProofOk(chainId: string, b: ProposeValidatorChangeBody): boolean {
  if (b.action !== GovAction.JOIN && b.action !== GovAction.ADD_VALIDATOR) return true;
  const org = b.action === GovAction.JOIN ? identityId(b.pubkey) : b.org;
  const payload = consensusKeyProofPayload(org, b.consensusKey, b.peerId);
  return verifyCosig(SignPurpose.KEY_PROOF, chainId, payload, b.consensusProof, b.consensusKey);
}

function requireValidator(st: StateView, tx: { signer: Uint8Array }): void {
  if (!isValidatorOrg(st, tx.signer)) fail(ReasonCode.NOT_VALIDATOR);
}

export const proposeValidatorChange = handler(TxKind.PROPOSE_VALIDATOR_CHANGE, (ctx, tx, b) => {
  const st = ctx.state;
  actor(st, tx);
  requireValidator(st, tx);
  const due = dueList(st);
  if (due.filter((d) => equal(d[2], tx.signer)).length >= MAX_OPEN_PROPOSALS) fail(ReasonCode.LIMIT_EXCEEDED);
  const problem = changeProblem(st, ctx, b);
  if (problem !== '') fail(problem as ReasonCode);
  if (!consensusProofOk(ctx.chainId, b)) fail(ReasonCode.BAD_CONSENSUS_PROOF);
  ctx.emit({
    type: 'governance.proposed',
    attrs: {
      proposal: tx.hash,
      action: GOV_ACTION_NAMES[b.action] as string,
      subject: b.action === GovAction.ADD_ORGANIZATION || b.action === GovAction.JOIN ? identityId(b.pubkey) : b.org,
      by: tx.signer,
    },
  });
  // The proposer's own approval counts (alone, it approves only in a set of one).
  const expires = ctx.height + proposalTtlBlocks(ctx.params);
  if (!recordVote(ctx, tx.hash, BODY_CODECS[TxKind.PROPOSE_VALIDATOR_CHANGE].encode(b), [tx.signer], expires))
    writeDue(st, [...due, [expires, tx.hash, tx.signer]]);
  return OK;
});

export const voteValidatorChange = handler(TxKind.VOTE_VALIDATOR_CHANGE, (ctx, tx, b) => {
  const st = ctx.state;
  actor(st, tx);
  requireValidator(st, tx);
  const v = st.get(proposalKey(b.proposal));
  if (v === undefined) fail(ReasonCode.NOT_FOUND);
  const p = decodeProposal(v);
  // Past its expiry height a proposal takes no vote, so it can never be approved (endBlock then
  // marks it EXPIRED, and deletes it one TTL later).
  if (p.status === ProposalStatus.EXPIRED) fail(ReasonCode.EXPIRED);
  if (p.status !== ProposalStatus.OPEN) fail(ReasonCode.CLOSED);
  if (ctx.height > p.expires) fail(ReasonCode.EXPIRED);
  if (p.yes.some((y) => equal(y, tx.signer))) fail(ReasonCode.ALREADY_VOTED);
  // Approval re-checks the change against today's set (another change may have taken its key or slot).
  const problem = changeProblem(st, ctx, BODY_CODECS[TxKind.PROPOSE_VALIDATOR_CHANGE].decode(p.body));
  if (problem !== '') fail(problem as ReasonCode);
  ctx.emit({ type: 'governance.voted', attrs: { proposal: b.proposal, by: tx.signer } });
  if (recordVote(ctx, b.proposal, p.body, [...p.yes, tx.signer], p.expires))
    writeDue(
      st,
      dueList(st).filter((d) => !equal(d[1], b.proposal)),
    );
  return OK;
});

/** endBlock: applies approved changes whose activation height is this block's. */
export function activateGovernance(ctx: ExecContext): void {
  const st = ctx.state;
  const pv = st.get(NS.GOV_PENDING);
  if (pv === undefined) return;
  const pending = decodeTuple(pv) as [number, Uint8Array][];
  const later = pending.filter(([h]) => h > ctx.height);
  if (later.length === pending.length) return;
  for (const [h, pid] of pending) {
    if (h > ctx.height) continue;
    const p = decodeProposal(st.get(proposalKey(pid)) as Uint8Array);
    const b = BODY_CODECS[TxKind.PROPOSE_VALIDATOR_CHANGE].decode(p.body);
    const problem = changeProblem(st, ctx, b);
    if (problem !== '') {
      st.set(proposalKey(pid), encodeProposal({ ...p, status: ProposalStatus.SKIPPED }));
      ctx.emit({ type: 'governance.skipped', attrs: { proposal: pid, code: problem } });
      continue;
    }
    applyChange(ctx, b);
    st.set(proposalKey(pid), encodeProposal({ ...p, status: ProposalStatus.APPLIED }));
    ctx.emit({ type: 'governance.applied', attrs: { proposal: pid, action: GOV_ACTION_NAMES[b.action] as string } });
  }
  if (later.length === 0) st.delete(NS.GOV_PENDING);
  else st.set(NS.GOV_PENDING, encodeTuple(later));
}

/**
 * endBlock: an open proposal at its expiry height becomes an EXPIRED tombstone (no body, no votes),
 * deleted one TTL later; deterministic, from state and height only.
 */
export function expireProposals(ctx: ExecContext): void {
  const st = ctx.state;
  const due = dueList(st);
  if (!due.some(([h]) => h <= ctx.height)) return;
  const keep: Due[] = [];
  for (const d of due) {
    const [h, pid, proposer] = d;
    if (h > ctx.height) {
      keep.push(d);
      continue;
    }
    const raw = st.get(proposalKey(pid));
    if (raw === undefined) continue;
    const p = decodeProposal(raw);
    if (p.status === ProposalStatus.OPEN) {
      st.set(
        proposalKey(pid),
        encodeProposal({ body: [], yes: [], status: ProposalStatus.EXPIRED, activation: 0, expires: p.expires }),
      );
      keep.push([ctx.height + proposalTtlBlocks(ctx.params), pid, proposer]);
      ctx.emit({ type: 'governance.expired', attrs: { proposal: pid } });
    } else if (p.status === ProposalStatus.EXPIRED) st.delete(proposalKey(pid));
  }
  writeDue(st, keep);
}

function applyChange(ctx: ExecContext, b: ProposeValidatorChangeBody): void {
  const st = ctx.state;
  const set = validatorSet(st).slice();
  switch (b.action) {
    case GovAction.ADD_ORGANIZATION:
      addOrganization(ctx, b);
      return;
    case GovAction.JOIN:
      addOrganization(ctx, b);
      set.push([identityId(b.pubkey), b.consensusKey, b.power]);
      writeValidatorSet(st, set);
      // Permissioned nodes admit the seated validator's node by this id (src/node/chain-peers.ts).
      st.set(validatorPeerKey(identityId(b.pubkey)), utf8(b.peerId));
      return;
    case GovAction.ADD_VALIDATOR:
      set.push([b.org, b.consensusKey, b.power]);
      writeValidatorSet(st, set);
      st.set(validatorPeerKey(b.org), utf8(b.peerId));
      return;
    case GovAction.REMOVE_VALIDATOR:
      writeValidatorSet(
        st,
        set.filter((v) => !equal(v[0], b.org)),
      );
      st.delete(validatorPeerKey(b.org));
      return;
  }
}

function addOrganization(ctx: ExecContext, b: { pubkey: Uint8Array; name: string }): void {
  const id = identityId(b.pubkey);
  putIdentity(ctx.state, id, {
    type: IdentityType.ORGANIZATION,
    pubkey: b.pubkey,
    org: new Uint8Array(0),
    registeredAt: ctx.time,
    suspended: false,
    name: b.name,
    ...NO_LICENSE,
  });
  ctx.emit({ type: 'identity.registered', attrs: { id, identityType: 'organization' } });
}

export const governanceHandlers = [proposeValidatorChange, voteValidatorChange];
