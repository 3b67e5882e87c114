/** The MedChain client SDK: typed JSON-RPC client, tx builders signing with @noble/ed25519, key files, offline proof checks. */
export { answerChallenge, type ChallengeReply, type LoginReply, SessionKeeper, SignInError } from './auth.js';
export {
  type BatchCall,
  type BatchResult,
  type ClientOptions,
  MedchainClient,
  RpcClientError,
  type Timers,
  type Topics,
  TransportError,
} from './client.js';
export { hex, unhex } from './hex.js';
export {
  decryptKey,
  defaultScrypt,
  encryptKey,
  KeystoreErrorCode,
  type KeystoreFile,
  type ScryptParams,
} from './keystore.js';
export {
  type Account,
  accountFromSecret,
  type Bytes,
  type CredentialTypeName,
  generateAccount,
  newRecordId,
  newSalt,
  type PurposeName,
  recordCommitment,
  signerOf,
  TxFactory,
  type TxFactoryOptions,
} from './tx.js';
export type * from './types.js';
export {
  headerFromJson,
  verifyAuditEntry,
  verifyCommit,
  verifyHeader,
  verifyReceipt,
  verifyStateProofJson,
} from './verify.js';
