import type { GossipsubMessage, TopicValidatorFn } from '@libp2p/gossipsub';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId } from '@libp2p/interface';
import { P2pError, P2pErrorCode } from './errors.js';
import type { P2pLogger } from './logger.js';
import { GossipReason, type Validation, type Verdict, verdictOf } from './validation.js';

export type GossipKind = 'tx' | 'proposal' | 'vote';

/** Topics are per chain, so nodes of two chains never exchange gossip even if they connect. */
export function gossipTopic(chainId: string, kind: GossipKind): string {
  return `/medchain/${chainId}/${kind}/1`;
}

export function gossipTopics(chainId: string): Record<GossipKind, string> {
  return {
    tx: gossipTopic(chainId, 'tx'),
    proposal: gossipTopic(chainId, 'proposal'),
    vote: gossipTopic(chainId, 'vote'),
  };
}

/**
 * accept: deliver and forward; ignore: drop silently (duplicate, stale, not
 * ours to judge); reject: invalid, drop and penalise the peer that sent it.
 * Validators answer with a reason (validation.ts); the verdict follows from it.
 */
export type GossipVerdict = Verdict;

export interface TopicHandlers {
  /** Runs before delivery and before forwarding: a rejected message goes no further. */
  validate?(data: Uint8Array, fromPeer: string): Validation | Promise<Validation>;
  /** Receives accepted messages from other peers (never our own publishes). */
  onMessage?(data: Uint8Array, fromPeer: string): void;
}

/** The slice of gossipsub this module uses (the class exposes more than its exported interface). */
export interface GossipPubSub {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, data: Uint8Array): Promise<{ recipients: PeerId[] }>;
  topicValidators: Map<string, TopicValidatorFn>;
  addEventListener(type: 'gossipsub:message', listener: (evt: CustomEvent<GossipsubMessage>) => void): void;
  removeEventListener(type: 'gossipsub:message', listener: (evt: CustomEvent<GossipsubMessage>) => void): void;
  getMeshPeers(topic: string): string[];
  getSubscribers(topic: string): PeerId[];
}

export interface GossipOptions {
  maxGossipBytes: number;
}

export interface GossipDeps {
  pubsub: GossipPubSub;
  scorer: { onRefused(peerId: string, reason: GossipReason): void };
  log: P2pLogger;
}

const VERDICT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/**
 * Byte-level gossip: application validators are installed as gossipsub topic
 * validators, so gossipsub forwards only what the application accepted, and
 * every rejection is charged to the propagating peer in the `PeerScorer`.
 */
export class Gossip {
  private readonly handlers = new Map<string, TopicHandlers>();
  /** Messages not accepted, by reason (for metrics and tests). */
  readonly refused = new Map<GossipReason, number>();
  /** Verdicts since start by `topic\tverdict\treason`, read by metrics at scrape time. */
  private readonly verdicts = new Map<string, number>();
  private readonly onGossip = (evt: CustomEvent<GossipsubMessage>): void => this.deliver(evt.detail);

  constructor(
    private readonly opts: GossipOptions,
    private readonly deps: GossipDeps,
  ) {
    deps.pubsub.addEventListener('gossipsub:message', this.onGossip);
  }

  subscribe(topic: string, handlers: TopicHandlers): void {
    this.handlers.set(topic, handlers);
    this.deps.pubsub.topicValidators.set(topic, this.validatorFor(topic, handlers));
    this.deps.pubsub.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.handlers.delete(topic);
    this.deps.pubsub.topicValidators.delete(topic);
    this.deps.pubsub.unsubscribe(topic);
  }

  /** Publishes `data`; resolves with the number of peers it was sent to (0 is not an error). */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (data.length > this.opts.maxGossipBytes) {
      throw new P2pError(P2pErrorCode.GOSSIP_TOO_LARGE, { size: data.length, max: this.opts.maxGossipBytes });
    }
    const { recipients } = await this.deps.pubsub.publish(topic, data);
    return recipients.length;
  }

  meshPeers(topic: string): string[] {
    return this.deps.pubsub.getMeshPeers(topic);
  }

  topicPeers(topic: string): string[] {
    return this.deps.pubsub.getSubscribers(topic).map((p) => p.toString());
  }

  /** Validation verdicts since start; reason: `accept`, a GossipReason code, or `validator_threw`. */
  verdictCounts(): Array<{ topic: string; verdict: GossipVerdict; reason: string; count: number }> {
    return [...this.verdicts].map(([k, count]) => {
      const [topic, verdict, reason] = k.split('\t') as [string, GossipVerdict, string];
      return { topic, verdict, reason, count };
    });
  }

  close(): void {
    this.deps.pubsub.removeEventListener('gossipsub:message', this.onGossip);
    for (const topic of this.handlers.keys()) this.deps.pubsub.topicValidators.delete(topic);
    this.handlers.clear();
  }

  private validatorFor(topic: string, h: TopicHandlers): TopicValidatorFn {
    const { scorer, log } = this.deps;
    const max = this.opts.maxGossipBytes;
    const count = (verdict: GossipVerdict, reason: string): void => {
      const k = `${topic}\t${verdict}\t${reason}`;
      this.verdicts.set(k, (this.verdicts.get(k) ?? 0) + 1);
    };
    const settle = (v: Validation, from: string): TopicValidatorResult => {
      const verdict = verdictOf(v);
      count(verdict, v);
      if (v !== 'accept') {
        this.refused.set(v, (this.refused.get(v) ?? 0) + 1);
        scorer.onRefused(from, v);
      }
      return VERDICT[verdict] ?? TopicValidatorResult.Ignore;
    };
    const failed = (err: unknown): TopicValidatorResult => {
      // A throwing validator is our bug, not the peer's fault: drop without penalty.
      log.warn({ topic, err: errCode(err) }, 'gossip validator threw');
      count('ignore', 'validator_threw');
      return TopicValidatorResult.Ignore;
    };
    return (peer, msg) => {
      const from = peer.toString();
      // Size limit before anything else looks at the bytes.
      if (msg.data.length > max) return settle(GossipReason.TOO_LARGE, from);
      if (h.validate === undefined) return TopicValidatorResult.Accept;
      try {
        const v = h.validate(msg.data, from);
        return v instanceof Promise ? v.then((r) => settle(r, from), failed) : settle(v, from);
      } catch (err) {
        return failed(err);
      }
    };
  }

  private deliver(m: GossipsubMessage): void {
    const h = this.handlers.get(m.msg.topic);
    if (h?.onMessage === undefined) return;
    try {
      h.onMessage(m.msg.data, m.propagationSource.toString());
    } catch (err) {
      this.deps.log.warn({ topic: m.msg.topic, err: errCode(err) }, 'gossip handler threw');
    }
  }
}

export function errCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const c = (err as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    const n = (err as { name?: unknown }).name;
    if (typeof n === 'string') return n;
  }
  return 'unknown';
}
