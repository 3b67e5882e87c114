/**
 * The "verified" mark: an audit entry is checked here, in the browser, with the SDK's verifiers:
 * its receipt is a leaf of its block's eventsRoot (RFC 6962 proof), and that block's header carries
 * a commit certificate signed by more than 2/3 of the validator set whose hash the header names.
 * The validator set is read from the node and must hash to the header's validatorsHash.
 */
import {
  type AuditEntry,
  type HeaderJson,
  type MedchainClient,
  type ValidatorJson,
  verifyAuditEntry,
  verifyCommit,
} from '../client/index.js';

export class ProofChecker {
  private validators: Promise<ValidatorJson[]> | null = null;
  /** Height → the certified header (null when its certificate does not check). */
  private readonly headers = new Map<number, Promise<HeaderJson | null>>();

  constructor(private readonly client: MedchainClient) {}

  private certified(height: number): Promise<HeaderJson | null> {
    let p = this.headers.get(height);
    if (p === undefined) {
      p = this.load(height);
      this.headers.set(height, p);
    }
    return p;
  }

  private async load(height: number): Promise<HeaderJson | null> {
    this.validators ??= this.client.call('chain_getValidators');
    const [header, commit, validators] = await Promise.all([
      this.client.call('chain_getHeader', { block: height }),
      this.client.call('chain_getCommit', { block: height }),
      this.validators,
    ]);
    return verifyCommit(commit, header, validators) ? header : null;
  }

  /** True when the entry's receipt proof, its block's commit certificate and its block time all check. */
  async verify(entry: AuditEntry): Promise<boolean> {
    if (entry.proof === undefined) return false;
    try {
      const header = await this.certified(entry.height);
      // The time shown is the certified header's, not the node's word for it.
      return header !== null && header.time === entry.time && verifyAuditEntry(entry, header);
    } catch {
      this.headers.delete(entry.height);
      return false;
    }
  }
}
