import { equal } from '../../src/codec/bytes.js';
import { proposalSignBytes, voteSignBytes } from '../engine/messages.js';
import { type Proposal, type Vote, VoteType } from '../engine/types.js';
import { INVALID_TX, type SimExecutor } from './executor.js';
import type { SimKey } from './keys.js';
import type { Rng } from './prng.js';
import type { ByzMode } from './scenario.js';

type Msg = { proposal: Proposal } | { vote: Vote };

/**
 * Rewrites what a Byzantine validator sends. It runs an ordinary engine
 * underneath (so it knows heights, rounds and blocks) and signs extra
 * conflicting messages with its own key: what a real equivocator can do.
 */
export class Byzantine {
  /** Who got which block when we last split a proposal, so our votes follow the split. */
  private split: { h: number; r: number; a: Set<number>; orig: Uint8Array; alt: Uint8Array } | undefined;

  constructor(
    readonly mode: ByzMode,
    private readonly index: number,
    private readonly key: SimKey,
    private readonly rng: Rng,
  ) {}

  outgoing(msg: Msg, peers: number[], exec: SimExecutor): [number, Msg][] {
    const own = 'vote' in msg ? msg.vote.validatorIndex === this.index : msg.proposal.proposerIndex === this.index;
    if (!own) return peers.map((p) => [p, msg]); // relays pass through
    if (this.mode === 'silent') return [];
    if ('proposal' in msg) return this.proposal(msg.proposal, peers, exec);
    if (this.mode === 'invalid') return peers.map((p) => [p, msg]);
    return this.vote(msg.vote, peers);
  }

  private proposal(p: Proposal, peers: number[], exec: SimExecutor): [number, Msg][] {
    const extra = this.mode === 'invalid' ? [INVALID_TX] : [1_000_000_000 + this.rng.int(1_000_000)];
    const b = exec.build(p.height, exec.tipTime + 1 + this.rng.int(1000), extra);
    const alt = this.signProposal({ ...p, block: b.block, blockHash: b.hash, polRound: -1 });
    if (this.mode === 'invalid') return peers.map((to) => [to, { proposal: alt }]);
    const a = new Set(peers.filter(() => this.rng.chance(0.5)));
    this.split = { h: p.height, r: p.round, a, orig: p.blockHash, alt: alt.blockHash };
    return peers.map((to) => [to, { proposal: a.has(to) ? p : alt }]);
  }

  private vote(v: Vote, peers: number[]): [number, Msg][] {
    const s = this.split;
    let altHash: Uint8Array | null;
    let a: Set<number>;
    if (s && s.h === v.height && s.r === v.round && v.blockHash && equal(v.blockHash, s.orig)) {
      altHash = s.alt; // vote each side's block to each side
      a = s.a;
    } else {
      if (this.rng.chance(0.3)) return peers.map((p) => [p, { vote: v }]);
      altHash = v.blockHash === null ? (s && s.h === v.height ? s.alt : null) : null;
      if (altHash === null && v.blockHash === null) return peers.map((p) => [p, { vote: v }]);
      // A precommit for a block goes to one peer only: it alone may commit,
      // and only locks keep the others from committing something else later.
      a =
        v.type === VoteType.PRECOMMIT && v.blockHash !== null
          ? new Set([this.rng.pick(peers)])
          : new Set(peers.filter(() => this.rng.chance(0.5)));
    }
    const unsigned = { ...v, blockHash: altHash };
    const alt: Vote = { ...unsigned, signature: this.key.signer.sign(voteSignBytes(unsigned)) };
    return peers.map((to) => [to, { vote: a.has(to) ? v : alt }]);
  }

  private signProposal(p: Proposal): Proposal {
    return { ...p, signature: this.key.signer.sign(proposalSignBytes(p)) };
  }
}
