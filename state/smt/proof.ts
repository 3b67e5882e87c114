/** Proof verification is chain data for light clients: defined in src/chain/state-proof.ts. */
export { decodeStateProof, encodeStateProof, type SmtProof, verifyStateProof } from '../../src/chain/state-proof.js';
