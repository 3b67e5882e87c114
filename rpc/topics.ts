/**
 * Subscription topics registered by the application and the fan-out of published events to the
 * WS connections whose filter matches. Each event is serialized once, whatever the fan-out.
 */
import { randomBytes } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { Guard } from './call-guard.js';
import type { SubscriptionSink } from './context.js';
import { JsonRpcCode } from './error-codes.js';
import type { RpcLogger } from './logger.js';
import { notificationJson } from './raw-json.js';
import { RpcError, serverError } from './rpc-error.js';

export interface TopicSpec<F extends TSchema = TSchema, E = unknown> {
  readonly name: string;
  readonly summary?: string;
  /** Schema of the optional filter given to `subscribe(topic, filter)`. */
  readonly filter: F;
  /** Schema of the events (documentation in OpenRPC; checked when validateResults is on). */
  readonly event?: TSchema;
  /** Whether `event` goes to a subscriber; filter is undefined when the subscriber gave none. */
  match(filter: Static<F> | undefined, event: E): boolean;
}

interface Subscription {
  readonly id: string;
  readonly sink: SubscriptionSink;
  readonly filter: unknown;
}

interface Topic {
  readonly spec: TopicSpec;
  readonly checkFilter: TypeCheck<TSchema>;
  readonly checkEvent: TypeCheck<TSchema> | null;
  readonly subs: Map<string, Subscription>;
}

const TOPIC_NAME = /^[a-z][a-zA-Z0-9_.]*$/;

export class Topics {
  private readonly topics = new Map<string, Topic>();
  private readonly byId = new Map<string, { topic: Topic; sub: Subscription }>();
  version = 0;
  /** Scope rules: who may subscribe, and which events reach whom. */
  guard: Guard | null = null;

  constructor(
    private readonly maxPerConnection: number,
    private readonly validateEvents: boolean,
    private readonly logger: RpcLogger,
  ) {}

  define<F extends TSchema, E>(spec: TopicSpec<F, E>): void {
    if (!TOPIC_NAME.test(spec.name) || this.topics.has(spec.name))
      throw new TypeError(`bad or duplicate topic name ${spec.name}`);
    this.topics.set(spec.name, {
      spec: spec as unknown as TopicSpec,
      checkFilter: TypeCompiler.Compile(spec.filter),
      checkEvent: spec.event !== undefined && this.validateEvents ? TypeCompiler.Compile(spec.event) : null,
      subs: new Map(),
    });
    this.version++;
  }

  list(): TopicSpec[] {
    return [...this.topics.values()].map((t) => t.spec);
  }

  subscribe(sink: SubscriptionSink, name: string, filter: unknown): string {
    const topic = this.topics.get(name);
    if (topic === undefined)
      throw new RpcError(JsonRpcCode.INVALID_PARAMS, `Invalid params: unknown topic`, {
        code: 'UNKNOWN_TOPIC',
        param: 'topic',
        topics: [...this.topics.keys()].join(','),
      });
    if (filter !== undefined && !topic.checkFilter.Check(filter)) {
      const first = topic.checkFilter.Errors(filter).First();
      const path = `/filter${(first?.path ?? '').slice(0, 200)}`;
      throw new RpcError(JsonRpcCode.INVALID_PARAMS, `Invalid params: ${path}: ${first?.message ?? 'invalid filter'}`, {
        code: 'INVALID_PARAMS',
        param: 'filter',
        path,
      });
    }
    if (this.guard !== null && !this.guard.maySubscribe(name, sink.caller))
      throw serverError('OUT_OF_SCOPE', 'Not in the caller scope');
    if (sink.subscriptions.size >= this.maxPerConnection)
      throw serverError('TOO_MANY_SUBSCRIPTIONS', 'Too many subscriptions', { max: this.maxPerConnection });
    const id = `0x${randomBytes(16).toString('hex')}`;
    const sub: Subscription = { id, sink, filter };
    topic.subs.set(id, sub);
    this.byId.set(id, { topic, sub });
    sink.subscriptions.add(id);
    return id;
  }

  /** Only the connection that made a subscription may end it. */
  unsubscribe(sink: SubscriptionSink, id: string): boolean {
    const entry = this.byId.get(id);
    if (entry === undefined || entry.sub.sink !== sink) return false;
    entry.topic.subs.delete(id);
    this.byId.delete(id);
    sink.subscriptions.delete(id);
    return true;
  }

  drop(sink: SubscriptionSink): void {
    for (const id of sink.subscriptions) {
      const entry = this.byId.get(id);
      if (entry === undefined) continue;
      entry.topic.subs.delete(id);
      this.byId.delete(id);
    }
    sink.subscriptions.clear();
  }

  /** Sends `event` to every matching subscriber; returns how many got it. */
  publish(name: string, event: unknown): number {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new TypeError(`unknown topic ${name}`);
    if (topic.subs.size === 0) return 0;
    if (topic.checkEvent !== null && !topic.checkEvent.Check(event)) {
      this.logger.error({ topic: name }, 'rpc: published event does not match its schema');
      return 0;
    }
    let json: string | undefined;
    let sent = 0;
    // Copy: a send may drop a slow connection, which removes its subscriptions from the map.
    for (const sub of [...topic.subs.values()]) {
      let hit: boolean;
      try {
        hit = topic.spec.match(sub.filter, event);
      } catch (err) {
        this.logger.error({ err, topic: name }, 'rpc: topic match threw');
        continue;
      }
      if (!hit) continue;
      // Judged at delivery: the subscriber's session may have ended since it subscribed.
      if (this.guard !== null && !this.guard.mayReceive(name, sub.sink.caller, event)) continue;
      json ??= JSON.stringify(event) ?? 'null';
      sub.sink.send(notificationJson(sub.id, json));
      sent++;
    }
    return sent;
  }
}
