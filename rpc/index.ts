/** Public face of the JSON-RPC server framework. */
export { isJsonContentType } from './caller-check.js';
export {
  DOMAIN_ERROR_CODES,
  DOMAIN_RANGES,
  type DomainNamespace,
  ErrorTable,
  JsonRpcCode,
  ServerCode,
} from './error-codes.js';
export type { RpcLogger } from './logger.js';
export type { RpcContext } from './methods.js';
export {
  defineMethod,
  type MethodParams,
  type MethodResult,
  type MethodSpec,
  type ParamSpec,
  type ParamsOf,
  type RpcMethod,
} from './methods.js';
export type { OpenRpcDocument } from './openrpc.js';
export { defaultRpcOptions, type RateLimitOptions, type RpcOptions } from './options.js';
export { type JsonRpcErrorObject, RpcError, safeMeta } from './rpc-error.js';
export {
  Bytes0x,
  type BytesOptions,
  decimalRangePattern,
  Hash32,
  TimeMs,
  U64,
  Uint,
  u64FromJson,
  u64ToJson,
} from './schema.js';
export { type RpcAddress, RpcServer, type RpcServerDeps } from './server.js';
export { CONSOLE_CSP, StaticMount, type StaticOptions } from './static.js';
export type { TopicSpec } from './topics.js';
export { VaultProxy } from './vault-proxy.js';
