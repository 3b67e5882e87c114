/**
 * Offline verification of what a node returns, trusting only a validator set (from genesis, or
 * one checked against a header's validatorsHash): headers against their hash, commit certificates
 * (> 2/3 of the power signed PRECOMMIT for the block hash), audit entries and receipts against the
 * header's eventsRoot (RFC 6962), state values against its stateRoot (sparse Merkle proofs).
 */
import * as ed from '@noble/ed25519';
import { type Header, headerHash } from '../chain/block.js';
import { decodeCommit, isValidCommit } from '../chain/commit.js';
import { leafHash, verifyInclusion } from '../chain/merkle.js';
import { decodeReceipt, type EventValue } from '../chain/receipt.js';
import { decodeStateProof, verifyStateProof } from '../chain/state-proof.js';
import { ValidatorSet } from '../chain/validator-set.js';
import { validatorsHash } from '../chain/validators.js';
import { SignPurpose, signingMessage } from '../crypto/domain.js';
import { hex, unhex } from './hex.js';
import type { AuditEntry, CommitJson, HeaderJson, StateProofJson, ValidatorJson } from './types.js';

export const headerFromJson = (h: HeaderJson): Header => ({
  chainId: h.chainId,
  height: h.height,
  time: h.time,
  prevHash: unhex(h.prevHash),
  txRoot: unhex(h.txRoot),
  eventsRoot: unhex(h.eventsRoot),
  stateRoot: unhex(h.stateRoot),
  validatorsHash: unhex(h.validatorsHash),
  nextValidatorsHash: unhex(h.nextValidatorsHash),
  proposer: unhex(h.proposer),
});

/** The header's fields hash to its `hash`. */
export const verifyHeader = (h: HeaderJson): boolean => hex(headerHash(headerFromJson(h))) === h.hash;

const validatorsOf = (vs: readonly ValidatorJson[]) =>
  vs.map((v) => ({ id: unhex(v.id), pubkey: unhex(v.pubkey), power: v.power }));

/**
 * The certificate commits the header: > 2/3 of the power of `validators` (which must hash to the
 * header's validatorsHash) signed PRECOMMIT for this block hash at this height.
 */
export function verifyCommit(commit: CommitJson, header: HeaderJson, validators: readonly ValidatorJson[]): boolean {
  if (!verifyHeader(header)) return false;
  const set = validatorsOf(validators);
  if (hex(validatorsHash(set)) !== header.validatorsHash) return false;
  const cert = decodeCommit(unhex(commit.encoded));
  if (cert.height !== header.height || hex(cert.blockHash) !== header.hash) return false;
  const chainId = header.chainId;
  const verify = (pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array): boolean => {
    try {
      return ed.verify(sig, signingMessage(SignPurpose.VOTE, chainId, bytes), pk);
    } catch {
      return false;
    }
  };
  return isValidCommit(cert, new ValidatorSet(set), verify, header.height);
}

/** A state proof (identity_get, record_get, access_check ...) against a stateRoot. */
export function verifyStateProofJson(stateRoot: string, p: StateProofJson): boolean {
  try {
    return verifyStateProof(
      unhex(stateRoot),
      unhex(p.key),
      p.value === null ? null : unhex(p.value),
      decodeStateProof(unhex(p.proof)),
    );
  } catch {
    return false;
  }
}

const sameValue = (a: EventValue, b: unknown): boolean => (a instanceof Uint8Array ? hex(a) === b : a === b);

/**
 * An audit entry (audit_query / audit_disclosures with proofs) is in the block of `header`: the
 * receipt holding it is a leaf of the header's eventsRoot, and the event at `seq` in that receipt
 * has the entry's type and attributes. Check the header itself with verifyCommit.
 */
export function verifyAuditEntry(entry: AuditEntry, header: HeaderJson): boolean {
  const p = entry.proof;
  if (p === undefined || header.height !== entry.height || p.blockHash !== header.hash || !verifyHeader(header))
    return false;
  const receipt = unhex(p.receipt);
  const leaf = leafHash(receipt);
  const rp = p.receiptProof;
  if (hex(leaf) !== rp.leafHash || rp.index !== entry.receiptIndex) return false;
  if (!verifyInclusion(leaf, rp.index, rp.treeSize, rp.path.map(unhex), unhex(header.eventsRoot))) return false;
  let event: { type: string; attrs: Record<string, EventValue> } | undefined;
  try {
    const r = decodeReceipt(receipt);
    if (hex(r.txHash) !== entry.txHash && entry.txHash !== hex(new Uint8Array(32))) return false;
    event = r.events[entry.seq];
  } catch {
    return false;
  }
  if (event === undefined || event.type !== entry.type) return false;
  const keys = Object.keys(event.attrs);
  if (keys.length !== Object.keys(entry.attrs).length) return false;
  return keys.every((k) => sameValue(event.attrs[k] as EventValue, entry.attrs[k]));
}

/** A receipt from tx_getReceipt / tx_waitFinal against its header's txRoot and eventsRoot. */
export function verifyReceipt(
  r: { receipt: string; txProof: MerkleProofLike; receiptProof: MerkleProofLike; blockHash: string },
  header: HeaderJson,
): boolean {
  if (r.blockHash !== header.hash || !verifyHeader(header)) return false;
  const leaf = leafHash(unhex(r.receipt));
  const rp = r.receiptProof;
  const tp = r.txProof;
  return (
    hex(leaf) === rp.leafHash &&
    verifyInclusion(leaf, rp.index, rp.treeSize, rp.path.map(unhex), unhex(header.eventsRoot)) &&
    verifyInclusion(unhex(tp.leafHash), tp.index, tp.treeSize, tp.path.map(unhex), unhex(header.txRoot))
  );
}

interface MerkleProofLike {
  index: number;
  treeSize: number;
  leafHash: string;
  path: string[];
}
