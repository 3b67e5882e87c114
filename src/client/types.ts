/**
 * Method names, params and results of the node API, derived at compile time from the very method
 * definitions the server validates with (rpc/api). Type-only imports: nothing of the server is
 * bundled into a client.
 */

import type { nodeMethods } from '../../rpc/api/index.js';
import type { MethodParams, MethodResult } from '../../rpc/methods.js';

type NodeMethod = ReturnType<typeof nodeMethods>[number];

/** Name → compiled method definition. */
export type NodeMethods = { [M in NodeMethod as M['name']]: M };
export type MethodName = keyof NodeMethods;
/** By-name params of a method (optional params may be left out). */
export type Params<N extends MethodName> = MethodParams<NodeMethods[N]>;
export type Result<N extends MethodName> = MethodResult<NodeMethods[N]>;

/** Methods whose params are all optional: `client.call(name)` needs no params argument. */
export type NoParamMethod = {
  // biome-ignore lint/complexity/noBannedTypes: `{} extends P` is exactly "P has no required key"
  [N in MethodName]: {} extends Params<N> ? N : never;
}[MethodName];

/** The JSON-RPC `error` member as received. */
export interface JsonRpcError {
  code: number;
  message: string;
  data?: { code?: string; [k: string]: unknown };
}

// A few results worth naming.
export type Status = Result<'chain_getStatus'>;
export type HeaderJson = Result<'chain_getHeader'>;
export type CommitJson = Result<'chain_getCommit'>;
export type ValidatorJson = Result<'chain_getValidators'>[number];
export type ReceiptWithProof = Result<'tx_getReceipt'>;
export type AccessDecision = Result<'access_check'>;
export type AuditPage = Result<'audit_query'>;
export type AuditEntry = AuditPage['entries'][number];
export type Disclosures = Result<'audit_disclosures'>;
export type StateProofJson = Result<'identity_get'>['proof'];
