/** Every fuzz target by name. */
import { rpcTarget } from './rpc-target.js';
import { CBOR_TARGETS, type Target } from './targets.js';

export const allTargets = (): Target[] => [...CBOR_TARGETS, rpcTarget()];

export const targetNames = (): string[] => allTargets().map((t) => t.name);
