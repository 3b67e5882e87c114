import type { Transport } from '../consensus/engine/driver.js';
import {
  decodeProposal,
  decodeVote,
  encodeProposal,
  encodeVote,
  MAX_VOTE_BYTES,
  proposalSignBytes,
  voteSignBytes,
} from '../consensus/engine/messages.js';
import type { Proposal, Vote } from '../consensus/engine/types.js';
import type { ValidatorSet } from '../consensus/engine/validator-set.js';
import { equal, toHex } from '../src/codec/bytes.js';
import { sha256, sha256Parts } from '../src/crypto/hash.js';
import type { P2pHost } from './host.js';
import { GossipReason, SeenCache, type Validation } from './validation.js';

/** What gossip hands to consensus: messages whose signatures (and proposal bodies) were checked here. */
export interface ConsensusSink {
  proposal(p: Proposal): void;
  vote(v: Vote): void;
}

export interface ConsensusNetOptions {
  /** Bound of one proposal (block included) before decoding. */
  maxProposalBytes: number;
  /** Accepted messages remembered (by content), so a re-sealed copy is neither verified nor forwarded again. */
  seenCacheSize: number;
  /**
   * How long a copy counts as seen. Below the engine's rebroadcast interval,
   * so each rebroadcast still crosses a healed partition once.
   */
  seenTtlMs: number;
}

export const defaultConsensusNetOptions: Omit<ConsensusNetOptions, 'maxProposalBytes'> = {
  seenCacheSize: 16_384,
  seenTtlMs: 1_000,
};

export interface ConsensusNetDeps {
  host: P2pHost;
  /** Height of the last committed block. */
  headHeight(): number;
  /** The set that signs block head+1. */
  validatorSet(): ValidatorSet;
  /** Verifies a consensus signature (domain-separated by the caller's wrapper), e.g. through the verifier pool. */
  verify(pubkey: Uint8Array, signBytes: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** The block's header hash once its body is checked against its header (Executor.hashBlock); throws otherwise. */
  hashBlock(block: Uint8Array): Uint8Array;
  requestSync(fromHeight: number): void;
  /** A publish that failed (no harm to consensus: rounds rebroadcast); never an unhandled rejection. */
  onError?(err: unknown): void;
  now?(): number;
}

/**
 * Gossip message ids are content hashes, so re-broadcasting the same signed
 * vote (how a stuck round heals after a restart or a partition) would be
 * dropped as already seen. Each publish therefore carries a 4-byte sequence
 * suffix outside the signed bytes; the seen-cache below keys on the content
 * without it, so a copy is not verified or forwarded again within `seenTtlMs`.
 */
const SEQ = 4;
/** A proposal's fields around its block (chain id, hashes, signature, heads), with room to spare. */
const PROPOSAL_OVERHEAD = 512;

/** The largest block a proposal carries in one gossip message of `maxGossipBytes`: the builder's budget. */
export const maxProposalBlockBytes = (maxGossipBytes: number): number => maxGossipBytes - SEQ - PROPOSAL_OVERHEAD;

const strip = (msg: Uint8Array): Uint8Array => msg.subarray(0, msg.length - SEQ);

/**
 * Consensus messages over gossip, each through one pipeline before it is
 * delivered or forwarded: size → bounded decode (once) → seen-cache → height
 * window → signer → signature (→ block body for proposals), decoded messages
 * handed to the sink on accept. Only the next height is judged in full: its
 * validator set is known. The one after is checked against the current set
 * (usually the same) and never penalised; later ones only tell us to sync.
 */
export class ConsensusNet implements Transport {
  private sink: ConsensusSink | undefined;
  private seq = 0;
  private readonly seen: SeenCache;
  private readonly opts: ConsensusNetOptions;
  /** Signature checks run by validation (metrics, tests). */
  verifications = 0;

  constructor(
    opts: Pick<ConsensusNetOptions, 'maxProposalBytes'> & Partial<ConsensusNetOptions>,
    private readonly d: ConsensusNetDeps,
  ) {
    this.opts = { ...defaultConsensusNetOptions, ...opts };
    this.seen = new SeenCache(this.opts.seenCacheSize, this.opts.seenTtlMs, d.now);
    const { host } = d;
    host.gossip.subscribe(host.topics.proposal, { validate: (msg) => this.validateProposal(msg) });
    host.gossip.subscribe(host.topics.vote, { validate: (msg) => this.validateVote(msg) });
  }

  attach(sink: ConsensusSink): void {
    this.sink = sink;
  }

  broadcastProposal(p: Proposal): void {
    this.publish(this.d.host.topics.proposal, encodeProposal(p));
  }

  broadcastVote(v: Vote): void {
    this.publish(this.d.host.topics.vote, encodeVote(v));
  }

  private publish(topic: string, payload: Uint8Array): void {
    this.d.host.gossip.publish(topic, this.sealed(payload)).catch((err: unknown) => this.d.onError?.(err));
  }

  private sealed(payload: Uint8Array): Uint8Array {
    const msg = new Uint8Array(payload.length + SEQ);
    msg.set(payload);
    new DataView(msg.buffer).setUint32(payload.length, this.seq);
    this.seq = (this.seq + 1) >>> 0;
    return msg;
  }

  requestSync(fromHeight: number): void {
    this.d.requestSync(fromHeight);
  }

  /** 'next': judged in full; 'after': checked, never penalised; otherwise a reason to ignore it. */
  private window(height: number): 'next' | 'after' | GossipReason {
    const next = this.d.headHeight() + 1;
    // Traffic for a later height shows the network is ahead: catch up by sync, not by rounds.
    if (height > next) this.d.requestSync(next);
    if (height === next) return 'next';
    // The engine keeps messages for one height ahead only; beyond, only blocks with certificates help.
    if (height === next + 1) return 'after';
    return GossipReason.OUTSIDE_WINDOW;
  }

  private async validateVote(msg: Uint8Array): Promise<Validation> {
    // [REJECT] size limit before decode (the sequence suffix included).
    if (msg.length <= SEQ || msg.length > MAX_VOTE_BYTES + SEQ) return GossipReason.TOO_LARGE;
    const bytes = strip(msg);
    let vote: Vote;
    try {
      // [REJECT] a canonical, bounded encoding, decoded once.
      vote = decodeVote(bytes);
    } catch {
      return GossipReason.MALFORMED;
    }
    // [IGNORE] already accepted (a re-sealed copy): no second signature check, no forwarding.
    const key = toHex(sha256(bytes));
    if (this.seen.has(key)) return GossipReason.DUPLICATE;
    // [IGNORE] a height we are past, or more than one ahead.
    const w = this.window(vote.height);
    if (w !== 'next' && w !== 'after') return w;
    // [REJECT] the signer is a validator of the set (provable for the next height only).
    const v = this.d.validatorSet().validators[vote.validatorIndex];
    if (v === undefined) return w === 'next' ? GossipReason.WRONG_SIGNER : GossipReason.UNJUDGEABLE;
    // [REJECT] its signature, last.
    this.verifications++;
    if (!(await this.d.verify(v.pubkey, voteSignBytes(vote), vote.signature)))
      return w === 'next' ? GossipReason.BAD_SIGNATURE : GossipReason.UNJUDGEABLE;
    this.seen.add(key, true);
    this.sink?.vote(vote);
    return 'accept';
  }

  private async validateProposal(msg: Uint8Array): Promise<Validation> {
    // [REJECT] size limit before decode.
    if (msg.length <= SEQ || msg.length > this.opts.maxProposalBytes + SEQ) return GossipReason.TOO_LARGE;
    let p: Proposal;
    try {
      // [REJECT] a canonical, bounded encoding, decoded once.
      p = decodeProposal(strip(msg), this.opts.maxProposalBytes);
    } catch {
      return GossipReason.MALFORMED;
    }
    // [IGNORE] already accepted: keyed by what the proposer signed (the body is bound to it below).
    const signBytes = proposalSignBytes(p);
    const key = toHex(sha256Parts([signBytes, p.signature]));
    if (this.seen.has(key)) return GossipReason.DUPLICATE;
    // [IGNORE] a height we are past, or more than one ahead.
    const w = this.window(p.height);
    if (w !== 'next' && w !== 'after') return w;
    // [REJECT] sent by the proposer of its round (provable for the next height only).
    const set = this.d.validatorSet();
    const v = set.validators[p.proposerIndex];
    if (v === undefined || (w === 'next' && set.proposer(p.height, p.round) !== p.proposerIndex))
      return w === 'next' ? GossipReason.WRONG_SIGNER : GossipReason.UNJUDGEABLE;
    // [REJECT] the proposer's signature. Before the body check: hashing a whole block costs more than one verify.
    this.verifications++;
    if (!(await this.d.verify(v.pubkey, signBytes, p.signature)))
      return w === 'next' ? GossipReason.BAD_SIGNATURE : GossipReason.UNJUDGEABLE;
    // [REJECT] the body is the one the signed hash commits to: anyone relaying a signed
    // proposal could swap it, and a wrong body must never reach the engine under a good hash.
    if (!this.bodyMatches(p)) return GossipReason.BAD_BODY;
    this.seen.add(key, true);
    this.sink?.proposal(p);
    return 'accept';
  }

  private bodyMatches(p: Proposal): boolean {
    try {
      return equal(this.d.hashBlock(p.block), p.blockHash);
    } catch {
      return false;
    }
  }
}
