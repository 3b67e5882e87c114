import { fromUtf8 } from '../../src/codec/bytes.js';
import { BODY_CODECS } from '../../src/tx/bodies.js';
import { GovAction, TxKind } from '../../src/tx/kinds.js';
import { validatorSet } from './governance.js';
import { NS, proposalKey, validatorPeerKey } from './keys.js';
import { decodeProposal, decodeTuple } from './values.js';

/**
 * The libp2p peer ids the chain names for its validators' nodes: those of the seated validators
 * (their JOIN or ADD_VALIDATOR carried them, signed by the consensus key) and those of approved
 * seats still waiting for their activation height, so a joining node can sync before it must sign.
 * Bounded by the set's size and the pending changes. Genesis validators have none (their nodes
 * are in the operators' static lists).
 */
export function chainPeerIds(st: { get(k: Uint8Array): Uint8Array | undefined }): string[] {
  const out: string[] = [];
  for (const [org] of validatorSet(st)) {
    const v = st.get(validatorPeerKey(org));
    if (v !== undefined) out.push(fromUtf8(v));
  }
  const pv = st.get(NS.GOV_PENDING);
  if (pv === undefined) return out;
  for (const [, pid] of decodeTuple(pv) as [number, Uint8Array][]) {
    const raw = st.get(proposalKey(pid));
    if (raw === undefined) continue;
    const b = BODY_CODECS[TxKind.PROPOSE_VALIDATOR_CHANGE].decode(decodeProposal(raw).body);
    if (b.action === GovAction.JOIN || b.action === GovAction.ADD_VALIDATOR) out.push(b.peerId);
  }
  return out;
}
