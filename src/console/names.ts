/**
 * Names for ids, where the chain knows them: organizations carry a public name; a practitioner is
 * named by the organization employing it; the user's own contacts (names they typed) complete it.
 * Lookups go through identity_get and are cached for the page's life.
 */
import type { MedchainClient } from '../client/index.js';
import { shortId } from './format.js';

export interface Party {
  id: string;
  type: 'patient' | 'practitioner' | 'organization' | 'unknown';
  /** What to show: a name, or "Practitioner 0x12…ab". */
  label: string;
  /** The employing organization's name (practitioners). */
  org: string | null;
}

const CONTACTS = 'medchain.contacts';

export function contacts(): Record<string, string> {
  try {
    const v = JSON.parse(localStorage.getItem(CONTACTS) ?? '{}') as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function saveContact(id: string, name: string): void {
  localStorage.setItem(CONTACTS, JSON.stringify({ ...contacts(), [id.toLowerCase()]: name.slice(0, 80) }));
}

export class Names {
  private readonly cache = new Map<string, Promise<Party>>();

  constructor(private readonly client: MedchainClient) {}

  party(id: string): Promise<Party> {
    const key = id.toLowerCase();
    let p = this.cache.get(key);
    if (p === undefined) {
      p = this.lookup(key);
      this.cache.set(key, p);
      // Not known yet (an organization a governance proposal is adding): asked again next time.
      p.then((x) => x.type === 'unknown' && this.cache.delete(key));
    }
    return p;
  }

  private async lookup(id: string): Promise<Party> {
    const own = contacts()[id];
    try {
      const r = await this.client.call('identity_get', { id });
      const i = r.identity;
      if (i === null) return { id, type: 'unknown', label: own ?? shortId(id), org: null };
      if (i.type === 'organization') return { id, type: i.type, label: i.name ?? own ?? shortId(id), org: null };
      const org = i.org === null ? null : (await this.party(i.org)).label;
      const kind = i.type === 'practitioner' ? 'Practitioner' : 'Patient';
      return { id, type: i.type, label: own ?? `${kind} ${shortId(id)}`, org };
    } catch {
      // Out of scope (another patient) or unreachable: the id, or the user's own name for it.
      return { id, type: 'unknown', label: own ?? shortId(id), org: null };
    }
  }
}
