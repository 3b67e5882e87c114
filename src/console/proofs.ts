/**
 * The "verified" mark: an audit entry is checked here, in the browser, with the SDK's verifiers:
 * its receipt is a leaf of its block's eventsRoot (RFC 6962 proof), and that block's header carries
 * a commit certificate signed by more than 2/3 of the validator set whose hash the header names.
 * The validator set is the one in force at the entry's height (chain_getValidators at that block),
 * read from the node and checked to hash to the header's validatorsHash: an entry from before a
 * validator change still verifies against the set that signed it.
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
  /** validatorsHash → the set (one fetch per set, not per height). */
  private readonly sets = new Map<string, Promise<ValidatorJson[]>>();
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
    const [header, commit] = await Promise.all([
      this.client.call('chain_getHeader', { block: height }),
      this.client.call('chain_getCommit', { block: height }),
    ]);
    let set = this.sets.get(header.validatorsHash);
    if (set === undefined) {
      set = this.client.call('chain_getValidators', { block: height });
      this.sets.set(header.validatorsHash, set);
      set.catch(() => this.sets.delete(header.validatorsHash));
    }
    // verifyCommit checks the set against the header's hash: a node's wrong answer fails here.
    return verifyCommit(commit, header, await set) ? header : null;
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
