/**
 * The vault client, bundled apart (dist/console/vault.js) and loaded on first use: its X25519
 * and cipher code is a fifth of the console and only a clinician opening a record needs it.
 */
export { RecordVault } from '../client/vault/index.js';
