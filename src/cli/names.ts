/**
 * Names instead of hex in tables: an identity shows its keystore name, else its on-chain label
 * (organizations have one), next to a short id; `--json` keeps the full ids. Looked up lazily and
 * bounded per command, so a long audit page costs a handful of reads, not one per row.
 */
import type { MedchainClient } from '../client/client.js';
import { listKeyFiles } from './keyfiles.js';
import { type GlobalOpts, short } from './output.js';

/** At most this many on-chain label lookups per command (the rest show the short id). */
const MAX_LOOKUPS = 64;

export class Names {
  private readonly chain = new Map<string, string | null>();
  private lookups = 0;

  private constructor(
    private readonly local: Map<string, string>,
    private readonly client: MedchainClient,
  ) {}

  static async load(g: GlobalOpts, client: MedchainClient): Promise<Names> {
    const local = new Map<string, string>();
    for (const k of await listKeyFiles(g)) if (!local.has(k.id.toLowerCase())) local.set(k.id.toLowerCase(), k.name);
    return new Names(local, client);
  }

  /** Fetches on-chain labels of the ids not in the keystore (call before rendering). */
  async resolve(ids: Iterable<string | null | undefined>): Promise<void> {
    for (const raw of ids) {
      if (typeof raw !== 'string' || !/^0x[0-9a-f]{64}$/i.test(raw)) continue;
      const id = raw.toLowerCase();
      if (this.local.has(id) || this.chain.has(id) || this.lookups >= MAX_LOOKUPS) continue;
      this.lookups++;
      try {
        const r = await this.client.call('identity_get', { id });
        this.chain.set(id, r.identity?.name || null);
      } catch {
        this.chain.set(id, null);
      }
    }
  }

  /** `name 0x1234abcd…a1b2c3`, or the short id alone when no name is known. */
  label(id: string | null | undefined): string {
    if (typeof id !== 'string') return '-';
    const name = this.local.get(id.toLowerCase()) ?? this.chain.get(id.toLowerCase()) ?? null;
    return name === null ? short(id) : `${name} ${short(id)}`;
  }
}
