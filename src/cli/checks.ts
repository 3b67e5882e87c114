/**
 * Pre-submission checks the CLI runs so a typo fails before anything is signed. They are a
 * convenience with a clear message and a next step; the chain applies its own rules regardless.
 */
import type { MedchainClient } from '../client/client.js';
import { CliError, Exit } from './output.js';

/** Every record exists on chain and is not erased (a consent on a missing record protects nothing). */
export async function requireRecords(client: MedchainClient, records: string[]): Promise<void> {
  for (const record of records) {
    const r = (await client.call('record_get', { record })).record;
    if (r === null)
      throw new CliError(
        `no record ${record} on chain: check the id (medchain query records <patient> lists them); nothing was submitted`,
        Exit.USAGE,
      );
    if (r.erased)
      throw new CliError(
        `record ${record} was erased: a consent on it would cover nothing; nothing was submitted`,
        Exit.USAGE,
      );
  }
}

/** The identity is registered (the grantee of a consent, the practitioner of a credential...). */
export async function requireIdentity(client: MedchainClient, id: string, role: string): Promise<void> {
  const r = (await client.call('identity_get', { id })).identity;
  if (r === null)
    throw new CliError(
      `the ${role} ${id} is not registered on this chain: register it first ` +
        '(medchain tx register-practitioner), or check the id / @name; nothing was submitted',
      Exit.USAGE,
    );
}
