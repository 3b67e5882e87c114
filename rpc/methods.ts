/**
 * Method definitions: one TypeBox schema per parameter and result is the single source for
 * validation (compiled checkers), static types (Static<>) and the OpenRPC document.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { Caller } from './auth/caller.js';
import { JsonRpcCode } from './error-codes.js';
import { RpcError } from './rpc-error.js';

export interface ParamSpec {
  readonly name: string;
  readonly schema: TSchema;
  /** Defaults to true. Optional parameters come after the required ones (positional calls). */
  readonly required?: boolean;
  readonly description?: string;
}

/** What handlers get besides their params. */
export interface RpcContext {
  /** Aborted when the call times out, its connection closes or the server shuts down. */
  readonly signal: AbortSignal;
  /** Remote address of the client. */
  readonly remote: string;
  readonly transport: 'http' | 'ws';
  /** Who is calling (public, the operator, or a signed-in identity). */
  readonly caller: Caller;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The by-name params object a handler receives (optional params may be absent). */
export type ParamsOf<P extends readonly ParamSpec[]> = Simplify<
  { [E in P[number] as E extends { readonly required: false } ? never : E['name']]: Static<E['schema']> } & {
    [E in P[number] as E extends { readonly required: false } ? E['name'] : never]?: Static<E['schema']>;
  }
>;

export interface MethodSpec<P extends readonly ParamSpec[], R extends TSchema> {
  /** `namespace_method` (docs/ARCHITECTURE.md, "Encoding at the edges"); `rpc.` names and the subscription built-ins are reserved. */
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  /** Accepted positionally (in this order) or by name, per JSON-RPC 2.0. */
  readonly params: P;
  readonly result: R;
  readonly resultName?: string;
  /** MedchainError codes the method may throw (documented in OpenRPC with their numbers). */
  readonly errors?: readonly string[];
  /** Overrides the server's requestTimeoutMs. */
  readonly timeoutMs?: number;
  readonly deprecated?: boolean;
  handler(params: ParamsOf<P>, ctx: RpcContext): Static<R> | Promise<Static<R>>;
}

/** A compiled method, ready to register. The type parameters let clients derive their types. */
export interface RpcMethod<
  P extends readonly ParamSpec[] = readonly ParamSpec[],
  R extends TSchema = TSchema,
  N extends string = string,
> {
  /** The literal name (`N`) lets a client map names to param and result types. */
  readonly name: N;
  readonly spec: MethodSpec<P, R>;
  /** Validates raw `params` (array, object or absent) into the by-name object, or an RpcError. */
  parseParams(raw: unknown): ParamsOf<P> | RpcError;
  readonly checkResult: TypeCheck<R>;
}

export type MethodParams<M> = M extends RpcMethod<infer P, TSchema> ? ParamsOf<P> : never;
export type MethodResult<M> = M extends RpcMethod<readonly ParamSpec[], infer R> ? Static<R> : never;

const METHOD_NAME = /^[a-z][a-z0-9]*_[a-zA-Z][a-zA-Z0-9]*$/;
const PARAM_NAME = /^[a-zA-Z][a-zA-Z0-9]*$/;
export const BUILTIN_METHODS: ReadonlySet<string> = new Set(['rpc.discover', 'subscribe', 'unsubscribe']);
const MAX_ECHO = 64;

export function defineMethod<const N extends string, const P extends readonly ParamSpec[], R extends TSchema>(
  spec: MethodSpec<P, R> & { readonly name: N },
): RpcMethod<P, R, N> {
  return compileMethod(spec, false) as RpcMethod<P, R, N>;
}

/** Built-ins may use the reserved names. */
export function compileMethod<const P extends readonly ParamSpec[], R extends TSchema>(
  spec: MethodSpec<P, R>,
  builtin: boolean,
): RpcMethod<P, R> {
  if (builtin ? !BUILTIN_METHODS.has(spec.name) : !METHOD_NAME.test(spec.name))
    throw new TypeError(`method name ${spec.name} must be namespace_method`);
  const n = spec.params.length;
  const names: string[] = [];
  const required: boolean[] = [];
  const checks: TypeCheck<TSchema>[] = [];
  let sawOptional = false;
  for (const p of spec.params) {
    // Names inherited from Object.prototype would read through `obj[name]` on by-name params.
    if (!PARAM_NAME.test(p.name) || p.name in Object.prototype || names.includes(p.name))
      throw new TypeError(`${spec.name}: bad or duplicate param name ${p.name}`);
    const req = p.required !== false;
    if (req && sawOptional) throw new TypeError(`${spec.name}: required param ${p.name} after an optional one`);
    sawOptional ||= !req;
    names.push(p.name);
    required.push(req);
    checks.push(TypeCompiler.Compile(p.schema));
  }

  function invalid(i: number, value: unknown): RpcError {
    const name = names[i] as string;
    const first = (checks[i] as TypeCheck<TSchema>).Errors(value).First();
    // TypeBox messages name the rule, never the value; the path holds only keys, cut to a bound.
    const path = `/${name}${(first?.path ?? '').slice(0, 200)}`;
    const reason = first?.message ?? 'invalid value';
    return new RpcError(JsonRpcCode.INVALID_PARAMS, `Invalid params: ${path}: ${reason}`, {
      code: 'INVALID_PARAMS',
      param: name,
      path,
    });
  }
  function problem(message: string, param?: string): RpcError {
    const data: Record<string, unknown> = { code: 'INVALID_PARAMS' };
    if (param !== undefined) data.param = param;
    return new RpcError(JsonRpcCode.INVALID_PARAMS, `Invalid params: ${message}`, data);
  }

  function parseParams(raw: unknown): ParamsOf<P> | RpcError {
    if (raw === undefined) raw = EMPTY;
    if (Array.isArray(raw)) {
      if (raw.length > n) return problem(`expected at most ${n} params, got ${raw.length}`);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        if (i >= raw.length) {
          if (required[i]) return problem(`missing required param ${names[i]}`, names[i]);
          break;
        }
        const v: unknown = raw[i];
        if (!(checks[i] as TypeCheck<TSchema>).Check(v)) return invalid(i, v);
        out[names[i] as string] = v;
      }
      return out as ParamsOf<P>;
    }
    // By name: the client's object is passed through as is once every key is known and valid.
    const obj = raw as Record<string, unknown>;
    let present = 0;
    for (let i = 0; i < n; i++) {
      const v = obj[names[i] as string];
      if (v === undefined) {
        if (required[i]) return problem(`missing required param ${names[i]}`, names[i]);
        continue;
      }
      present++;
      if (!(checks[i] as TypeCheck<TSchema>).Check(v)) return invalid(i, v);
    }
    let keys = 0;
    for (const _ in obj) keys++;
    if (keys !== present) {
      const unknown = Object.keys(obj).find((k) => !names.includes(k)) ?? '';
      return problem(`unknown param ${unknown.slice(0, MAX_ECHO)}`);
    }
    return obj as ParamsOf<P>;
  }

  return { name: spec.name, spec, parseParams, checkResult: TypeCompiler.Compile(spec.result) };
}

const EMPTY: readonly unknown[] = [];

/** Name → compiled method; rejects duplicates so a module cannot silently shadow another. */
export class MethodRegistry {
  private readonly methods = new Map<string, RpcMethod>();
  /** Bumped on every change, so derived documents (OpenRPC) know to rebuild. */
  version = 0;

  add(method: RpcMethod): void {
    if (this.methods.has(method.name)) throw new TypeError(`method ${method.name} already defined`);
    this.methods.set(method.name, method);
    this.version++;
  }

  get(name: string): RpcMethod | undefined {
    return this.methods.get(name);
  }

  list(): RpcMethod[] {
    return [...this.methods.values()];
  }
}
