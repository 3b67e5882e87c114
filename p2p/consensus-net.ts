import type { Transport } from '../consensus/engine/driver.js';
import { decodeProposal, decodeVote, encodeProposal, encodeVote, proposalSignBytes, voteSignBytes } from '../consensus/engine/messages.js';
import type { Proposal, Vote } from '../consensus/engine/types.js';
import type { ValidatorSet } from '../consensus/engine/validator-set.js';
import type { P2pHost } from './host.js';

/** What gossip hands to consensus: messages whose signatures were checked here. */
export interface ConsensusSink {
  proposal(p: Proposal): void;
  vote(v: Vote): void;
}

export interface ConsensusNetDeps {
  host: P2pHost;
  /** Height of the last committed block. */
  headHeight(): number;
  /** The set that signs block head+1. */
  validatorSet(): ValidatorSet;
  /** Verifies a consensus signature (domain-separated by the caller's wrapper). */
  verify(pubkey: Uint8Array, signBytes: Uint8Array, signature: Uint8Array): boolean;
  requestSync(fromHeight: number): void;
  maxProposalBytes: number;
}

/** Heights ahead of ours still worth buffering (the engine keeps a bounded future buffer). */
const FUTURE_WINDOW = 4;

/**
 * Consensus messages over gossip. Each message is validated before it is
 * forwarded: size, strict decode, height window, signer in the set, and the
 * signature last. Bad signatures from a validator index are rejected (the
 * sending peer is penalised); stale or far-future messages are ignored.
 */
export class ConsensusNet implements Transport {
  private sink: ConsensusSink | undefined;

  constructor(private readonly d: ConsensusNetDeps) {
    const { host } = d;
    host.gossip.subscribe(host.topics.proposal, {
      validate: (bytes) => this.validateProposal(bytes),
      onMessage: (bytes) => this.sink?.proposal(decodeProposal(bytes, d.maxProposalBytes)),
    });
    host.gossip.subscribe(host.topics.vote, {
      validate: (bytes) => this.validateVote(bytes),
      onMessage: (bytes) => this.sink?.vote(decodeVote(bytes)),
    });
  }

  attach(sink: ConsensusSink): void {
    this.sink = sink;
  }

  broadcastProposal(p: Proposal): void {
    this.d.host.gossip.publish(this.d.host.topics.proposal, encodeProposal(p));
  }

  broadcastVote(v: Vote): void {
    this.d.host.gossip.publish(this.d.host.topics.vote, encodeVote(v));
  }

  requestSync(fromHeight: number): void {
    this.d.requestSync(fromHeight);
  }

  private window(height: number): 'ok' | 'ignore' {
    const next = this.d.headHeight() + 1;
    return height >= next && height <= next + FUTURE_WINDOW ? 'ok' : 'ignore';
  }

  private validateProposal(bytes: Uint8Array): 'accept' | 'ignore' | 'reject' {
    let p: Proposal;
    try {
      p = decodeProposal(bytes, this.d.maxProposalBytes);
    } catch {
      return 'reject';
    }
    if (this.window(p.height) === 'ignore') return 'ignore';
    const v = this.d.validatorSet().validators[p.proposerIndex];
    if (v === undefined) return p.height === this.d.headHeight() + 1 ? 'reject' : 'ignore';
    if (this.d.verify(v.pubkey, proposalSignBytes(p), p.signature)) return 'accept';
    // A future height's set may differ: only a message for the next height is provably bad.
    return p.height === this.d.headHeight() + 1 ? 'reject' : 'ignore';
  }

  private validateVote(bytes: Uint8Array): 'accept' | 'ignore' | 'reject' {
    let vote: Vote;
    try {
      vote = decodeVote(bytes);
    } catch {
      return 'reject';
    }
    if (this.window(vote.height) === 'ignore') return 'ignore';
    const v = this.d.validatorSet().validators[vote.validatorIndex];
    const next = vote.height === this.d.headHeight() + 1;
    if (v === undefined) return next ? 'reject' : 'ignore';
    if (this.d.verify(v.pubkey, voteSignBytes(vote), vote.signature)) return 'accept';
    return next ? 'reject' : 'ignore';
  }
}
