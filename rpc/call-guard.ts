/**
 * The seam between the generic server and the node's scope rules: a guard wraps every method call
 * (check, then the handler, then any check of the result) and judges topic events per subscriber.
 * A server without a guard keeps the plain bearer-token gate.
 */

import type { Auth } from './auth/auth.js';
import type { Caller } from './auth/caller.js';
import type { RpcContext, RpcMethod } from './methods.js';

export interface Guard {
  readonly auth: Auth;
  /** Runs `invoke` if the caller may make this call; may return a promise. Throws refusals. */
  run(method: RpcMethod, params: Record<string, unknown>, ctx: RpcContext, invoke: () => unknown): unknown;
  /** The scope documented for a method (OpenRPC `x-scope`). */
  scopeOf(method: string): string;
  /** The scope documented for a topic (OpenRPC x-topics `x-scope`). */
  topicScopeOf(topic: string): string;
  /** Whether `caller` may subscribe to `topic` at all (public topics: everyone). */
  maySubscribe(topic: string, caller: Caller): boolean;
  /** Whether one event of `topic` may reach a subscriber. */
  mayReceive(topic: string, caller: Caller, event: unknown): boolean;
}
