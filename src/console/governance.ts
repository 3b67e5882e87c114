/** Validator governance folded from its events (governance_events) into proposals, newest first. */

export interface GovEvent {
  type: string;
  height: number;
  time: number;
  attrs: Record<string, string | number | boolean | null>;
}

export type ProposalStatus = 'open' | 'approved' | 'applied' | 'skipped';

export interface ProposalView {
  id: string;
  action: string;
  subject: string;
  by: string;
  proposedAt: number;
  /** Organizations that voted for it, the proposer first. */
  votes: string[];
  status: ProposalStatus;
  /** approved: the height it takes effect at; applied/skipped: the height it did or was skipped. */
  height: number | null;
  /** Why it was skipped (a reason code). */
  code: string | null;
}

export const ACTION_WORDS: Readonly<Record<string, string>> = {
  add_organization: 'Add an organization',
  add_validator: 'Make a validator',
  remove_validator: 'Remove a validator',
  join: 'Add an organization as a validator',
};

/** Events in chain order; votes of proposals older than the page are shown from their first event seen. */
export function foldProposals(events: readonly GovEvent[]): ProposalView[] {
  const byId = new Map<string, ProposalView>();
  const get = (id: string): ProposalView => {
    let p = byId.get(id);
    if (p === undefined) {
      p = { id, action: '', subject: '', by: '', proposedAt: 0, votes: [], status: 'open', height: null, code: null };
      byId.set(id, p);
    }
    return p;
  };
  for (const e of events) {
    const id = String(e.attrs.proposal);
    const p = get(id);
    switch (e.type) {
      case 'governance.proposed':
        p.action = String(e.attrs.action);
        p.subject = String(e.attrs.subject);
        p.by = String(e.attrs.by);
        p.proposedAt = e.time;
        if (!p.votes.includes(p.by)) p.votes.unshift(p.by);
        break;
      case 'governance.voted':
        if (!p.votes.includes(String(e.attrs.by))) p.votes.push(String(e.attrs.by));
        break;
      case 'governance.approved':
        p.status = 'approved';
        p.height = Number(e.attrs.activationHeight);
        break;
      case 'governance.applied':
        p.status = 'applied';
        p.height = e.height;
        break;
      case 'governance.skipped':
        p.status = 'skipped';
        p.height = e.height;
        p.code = String(e.attrs.code);
        break;
      default:
        break;
    }
  }
  return [...byId.values()].reverse();
}
