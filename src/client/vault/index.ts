/** Client side of the off-chain vault: record sealing, key wrapping, the vault protocol and the SDK. */
export * from './crypto.js';
export * from './protocol.js';
export { type Opened, RecordVault, type RecordVaultOptions, type StoredRecord } from './sdk.js';
