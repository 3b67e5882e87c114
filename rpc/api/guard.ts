/**
 * The node's guard: judges each call against the scope table (rpc/api/scopes.ts) and each event
 * against its subscriber, and logs every read of personal data (caller, method, subjects; never
 * values). Refusals are one coded error, OUT_OF_SCOPE, whether or not the subject exists.
 */
import { isCoded } from '../../src/errors.js';
import type { Auth } from '../auth/auth.js';
import { type Caller, PUBLIC } from '../auth/caller.js';
import type { Guard } from '../call-guard.js';
import type { CallContext } from '../context.js';
import type { RpcLogger } from '../logger.js';
import type { RpcContext, RpcMethod } from '../methods.js';
import { serverError } from '../rpc-error.js';
import { type IdParam, idParamsOf, ReadLog } from './read-log.js';
import { SCOPES, type ScopeRule, TOPIC_SCOPES } from './scopes.js';
import type { NodeApi } from './types.js';
import { eventSubjects, mayReadAny, type Subject } from './visibility.js';

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

export const outOfScope = () => serverError('OUT_OF_SCOPE', 'Not in the caller scope');
const OPERATOR_ONLY = 'operator';

export class NodeGuard implements Guard {
  private readonly reads: ReadLog;
  /** Per method: its rule and id params, judged once (one lookup per call instead of two). */
  private readonly perMethod = new WeakMap<RpcMethod, MethodFacts>();

  constructor(
    readonly auth: Auth,
    private readonly api: NodeApi,
    logger: RpcLogger,
    private readonly table: Readonly<Record<string, ScopeRule>> = SCOPES,
  ) {
    this.reads = new ReadLog(logger);
  }

  scopeOf(method: string): string {
    const r = this.table[method];
    return r === undefined
      ? OPERATOR_ONLY
      : r.doc === 'public' || r.doc === OPERATOR_ONLY
        ? r.doc
        : `${r.doc}; operator`;
  }

  run(method: RpcMethod, params: Record<string, unknown>, ctx: RpcContext, invoke: () => unknown): unknown {
    const facts = this.factsOf(method);
    const rule = facts.rule;
    let caller = ctx.caller;
    if (caller.kind === 'identity' || caller.kind === 'key') {
      const ended = this.auth.judge(caller.session);
      if (ended !== null) {
        // A dead session may still do what the public may (sign in again, read headers).
        if (rule === undefined || rule.doc !== 'public') throw ended;
        caller = PUBLIC;
        (ctx as CallContext).scope.caller = PUBLIC;
      }
    }
    if (caller.kind === 'operator') {
      if (rule === undefined || rule.doc !== 'public') this.logRead(caller, method.name, params, facts.ids);
      return invoke();
    }
    if (rule === undefined) throw outOfScope();
    if (rule.pre !== undefined) {
      const s = rule.pre(params, this.api);
      if (isThenable(s)) return s.then((v) => this.afterPre(v as Subjects, facts, params, caller, method.name, invoke));
      return this.afterPre(s, facts, params, caller, method.name, invoke);
    }
    return this.runPost(rule, facts.ids, params, caller, method.name, invoke);
  }

  private afterPre(
    s: Subjects,
    facts: MethodFacts,
    params: P,
    caller: Caller,
    method: string,
    invoke: Invoke,
  ): unknown {
    if (s !== 'public') {
      this.allow(caller, s);
      this.logRead(caller, method, params, facts.ids);
    }
    const rule = facts.rule as ScopeRule;
    return rule.post === undefined ? invoke() : this.runPost(rule, facts.ids, params, caller, method, invoke);
  }

  /** The handler first, then the subjects of what it found; its not-found errors are refused alike. */
  private async runPost(
    rule: ScopeRule,
    ids: readonly IdParam[],
    params: P,
    caller: Caller,
    method: string,
    invoke: Invoke,
  ): Promise<unknown> {
    if (caller.kind === 'public' || rule.post === undefined) throw outOfScope();
    let result: unknown;
    try {
      result = await invoke();
    } catch (err) {
      if (rule.mask?.some((code) => isCoded(err, code))) throw outOfScope();
      throw err;
    }
    const s = await rule.post(params, result, this.api);
    if (s !== 'public') {
      this.allow(caller, s);
      this.logRead(caller, method, params, ids);
    }
    return result;
  }

  private allow(caller: Caller, subjects: readonly Subject[]): void {
    if (!this.permits(caller, subjects)) throw outOfScope();
  }

  private permits(caller: Caller, subjects: readonly Subject[]): boolean {
    // A key session too: visibility.ts lets it read only `signedBy` subjects of its key.
    return (caller.kind === 'identity' || caller.kind === 'key') && mayReadAny(this.api, caller.session, subjects);
  }

  /**
   * The judgement of run() without running anything, for another door onto the same data (the
   * FHIR facade): whether `caller` may make `method` with `params`. A rule judged on the result
   * asks `result()` for what the call would return (undefined: not found, refused alike, as the
   * rule's mask refuses it). An allowed read of personal data is logged as run() logs it, under
   * `label`. A session that has ended is the public's.
   */
  async allows(method: string, params: P, caller: Caller, result?: () => unknown, label = method): Promise<boolean> {
    let who = caller;
    if ((who.kind === 'identity' || who.kind === 'key') && this.auth.judge(who.session) !== null) who = PUBLIC;
    const rule = this.table[method];
    if (who.kind === 'operator') {
      if (rule === undefined || rule.doc !== 'public') this.logRead(who, label, params);
      return true;
    }
    if (rule === undefined) return false;
    let personal = false;
    if (rule.pre !== undefined) {
      const s = await rule.pre(params, this.api);
      if (s !== 'public') {
        if (!this.permits(who, s)) return false;
        personal = true;
      }
    }
    // As runPost: a rule without pre is judged on its result, never for the public.
    if (rule.pre === undefined || rule.post !== undefined) {
      if (who.kind === 'public' || rule.post === undefined || result === undefined) return false;
      const r = await result();
      if (r === undefined) return false;
      const s = await rule.post(params, r, this.api);
      if (s !== 'public') {
        if (!this.permits(who, s)) return false;
        personal = true;
      }
    }
    if (personal) this.logRead(who, label, params);
    return true;
  }

  topicScopeOf(topic: string): string {
    return TOPIC_SCOPES[topic] ?? OPERATOR_ONLY;
  }

  maySubscribe(topic: string, caller: Caller): boolean {
    if (caller.kind === 'operator' || TOPIC_SCOPES[topic] === 'public') return true;
    return TOPIC_SCOPES[topic] !== undefined && caller.kind === 'identity' && this.auth.judge(caller.session) === null;
  }

  mayReceive(topic: string, caller: Caller, event: unknown): boolean {
    if (caller.kind === 'operator' || TOPIC_SCOPES[topic] === 'public') return true;
    if (caller.kind !== 'identity' || this.auth.judge(caller.session) !== null) return false;
    const attrs = (event as { attrs?: Record<string, unknown> }).attrs ?? {};
    const s = eventSubjects(attrs);
    // Events that name no one (governance, evidence) reach every signed-in subscriber.
    return s.length === 0 || mayReadAny(this.api, caller.session, s);
  }

  /** Who read whose data: the method and the ids asked about, never values (see ReadLog). */
  logRead(caller: Caller, method: string, params: P, ids?: readonly IdParam[]): void {
    if (this.reads.enabled) this.reads.add(caller, method, params, ids);
  }

  /** A method's rule and id params (its params were checked against these schemas before run()). */
  private factsOf(method: RpcMethod): MethodFacts {
    let f = this.perMethod.get(method);
    if (f === undefined) {
      f = { rule: this.table[method.name], ids: idParamsOf(method.spec.params) };
      this.perMethod.set(method, f);
    }
    return f;
  }
}

type P = Record<string, unknown>;
type Subjects = readonly Subject[] | 'public';
type Invoke = () => unknown;
interface MethodFacts {
  readonly rule: ScopeRule | undefined;
  readonly ids: readonly IdParam[];
}
