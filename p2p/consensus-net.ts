import type { Transport } from '../consensus/engine/driver.js';
import {
  decodeProposal,
  decodeVote,
  encodeProposal,
  encodeVote,
  proposalSignBytes,
  voteSignBytes,
} from '../consensus/engine/messages.js';
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
  /** Verifies a consensus signature (domain-separated by the caller's wrapper), e.g. through the verifier pool. */
  verify(pubkey: Uint8Array, signBytes: Uint8Array, signature: Uint8Array): Promise<boolean>;
  requestSync(fromHeight: number): void;
  maxProposalBytes: number;
}

/** Heights ahead of ours still worth buffering (the engine keeps a bounded future buffer). */
const FUTURE_WINDOW = 4;

/**
 * Gossip message ids are content hashes, so re-broadcasting the same signed
 * vote (how a stuck round heals after a restart or a partition) would be
 * dropped as already seen. Each publish therefore carries a 4-byte sequence
 * suffix outside the signed bytes; the engine ignores duplicate votes.
 */
const SEQ = 4;
const strip = (msg: Uint8Array): Uint8Array => msg.subarray(0, msg.length - SEQ);

/**
 * Consensus messages over gossip. Each message is validated before it is
 * forwarded: size, strict decode, height window, signer in the set, and the
 * signature last. Bad signatures from a validator index are rejected (the
 * sending peer is penalised); stale or far-future messages are ignored.
 */
export class ConsensusNet implements Transport {
  private sink: ConsensusSink | undefined;
  private seq = 0;

  constructor(private readonly d: ConsensusNetDeps) {
    const { host } = d;
    host.gossip.subscribe(host.topics.proposal, {
      validate: (msg) => (msg.length <= SEQ ? 'reject' : this.validateProposal(strip(msg))),
      onMessage: (msg) => this.sink?.proposal(decodeProposal(strip(msg), d.maxProposalBytes)),
    });
    host.gossip.subscribe(host.topics.vote, {
      validate: (msg) => (msg.length <= SEQ ? 'reject' : this.validateVote(strip(msg))),
      onMessage: (msg) => this.sink?.vote(decodeVote(strip(msg))),
    });
  }

  attach(sink: ConsensusSink): void {
    this.sink = sink;
  }

  broadcastProposal(p: Proposal): void {
    this.d.host.gossip.publish(this.d.host.topics.proposal, this.sealed(encodeProposal(p)));
  }

  broadcastVote(v: Vote): void {
    this.d.host.gossip.publish(this.d.host.topics.vote, this.sealed(encodeVote(v)));
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

  private window(height: number): 'ok' | 'ignore' {
    const next = this.d.headHeight() + 1;
    // Traffic for a later height shows the network is ahead: catch up by sync, not by rounds.
    if (height > next) this.d.requestSync(next);
    return height >= next && height <= next + FUTURE_WINDOW ? 'ok' : 'ignore';
  }

  private async validateProposal(bytes: Uint8Array): Promise<'accept' | 'ignore' | 'reject'> {
    let p: Proposal;
    try {
      p = decodeProposal(bytes, this.d.maxProposalBytes);
    } catch {
      return 'reject';
    }
    if (this.window(p.height) === 'ignore') return 'ignore';
    const v = this.d.validatorSet().validators[p.proposerIndex];
    if (v === undefined) return p.height === this.d.headHeight() + 1 ? 'reject' : 'ignore';
    if (await this.d.verify(v.pubkey, proposalSignBytes(p), p.signature)) return 'accept';
    // A future height's set may differ: only a message for the next height is provably bad.
    return p.height === this.d.headHeight() + 1 ? 'reject' : 'ignore';
  }

  private async validateVote(bytes: Uint8Array): Promise<'accept' | 'ignore' | 'reject'> {
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
    if (await this.d.verify(v.pubkey, voteSignBytes(vote), vote.signature)) return 'accept';
    return next ? 'reject' : 'ignore';
  }
}
