/** What an organization registered (its own index, audit_organization): its practitioners and onboarded patients. */
import type { Session } from './session.js';

export interface Registered {
  id: string;
  type: 'patient' | 'practitioner';
  at: number;
}

/** Newest first; at most `limit` (the console shows a page, the CLI and SDK page further). */
export async function registered(s: Session, limit = 200): Promise<Registered[]> {
  const r = await s.http.call('audit_organization', {
    org: s.id,
    kinds: ['identity.registered'],
    page: { limit, reverse: true },
  });
  return r.entries.map((e) => ({
    id: String(e.attrs.id),
    type: e.attrs.identityType === 'practitioner' ? 'practitioner' : 'patient',
    at: e.time,
  }));
}

export const staffOf = async (s: Session): Promise<Registered[]> =>
  (await registered(s)).filter((r) => r.type === 'practitioner');
