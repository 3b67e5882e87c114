/** The medical domain: the state machine, its state layout and value codecs. */

export { type AccessDecision, decideAccess, decideRead, writeCode } from './access-rule.js';
export { DUE_BUCKET_MS } from './access-tx.js';
export { concatIds, splitIds } from './handler.js';
export * from './keys.js';
export { GenesisError, GenesisErrorCode, medicalStateMachine, stageGenesis } from './medical-machine.js';
export { blockReadKeys, readKeys } from './read-set.js';
export { coverage } from './rules.js';
export { senderError } from './sender.js';
export * from './values.js';
