/** Every fuzz target by name. */
import { fhirSearchTarget, reqrespFrameTarget, vaultHttpTarget, walEntryTarget } from './edge-targets.js';
import { rpcTarget } from './rpc-target.js';
import { CBOR_TARGETS, type Target } from './targets.js';

export const allTargets = (): Target[] => [
  ...CBOR_TARGETS,
  rpcTarget(),
  fhirSearchTarget,
  reqrespFrameTarget,
  walEntryTarget,
  vaultHttpTarget(),
];

export const targetNames = (): string[] => allTargets().map((t) => t.name);
