export type { VerifyItem } from './job.js';
export { defaultVerifierPoolOptions, VerifierPool, type VerifierPoolOptions, type VerifyOptions } from './pool.js';
