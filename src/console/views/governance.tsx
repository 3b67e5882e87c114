/**
 * Validator governance for everyone: each proposed change to who runs the chain, who proposed and
 * voted for it, and whether it was approved, took effect or was skipped (governance_events, public).
 */
import { useEffect, useState } from 'preact/hooks';
import { localTime, shortId } from '../format.js';
import { ACTION_WORDS, foldProposals, type GovEvent, type ProposalView } from '../governance.js';
import { errorText } from '../live.js';
import type { Names } from '../names.js';
import { publicHttp } from '../session.js';

/** The newest governance events read (a few hundred proposals' worth). */
const LIMIT = 500;
/** Blocks between reloads while the head moves (governance is rare; one small read). */
const EVERY = 10;

export function Governance(props: { head: number; names: Names }) {
  const [proposals, setProposals] = useState<ProposalView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tick = Math.floor(props.head / EVERY);
  useEffect(() => {
    let alive = true;
    publicHttp()
      .call('governance_events', { page: { limit: LIMIT, reverse: true } })
      .then(
        (r) => alive && setProposals(foldProposals((r.entries as GovEvent[]).reverse())),
        (err: unknown) => alive && setError(errorText(err)),
      );
    return () => {
      alive = false;
    };
  }, [tick]);
  return (
    <section aria-labelledby="gov-h">
      <h2 id="gov-h">Governance</h2>
      <p class="muted">Changes to the organizations that run the chain, decided by the validators’ votes.</p>
      {error !== null && <p class="error">{error}</p>}
      {proposals !== null && proposals.length === 0 && <p>No change has been proposed.</p>}
      <ul class="feed">
        {(proposals ?? []).map((p) => (
          <Proposal key={p.id} p={p} names={props.names} />
        ))}
      </ul>
    </section>
  );
}

/** The party's name, looked up again when `again` changes (an added organization is named once applied). */
function useName(names: Names, id: string, again?: unknown): string {
  const [name, setName] = useState(shortId(id));
  useEffect(() => {
    if (id !== '') names.party(id).then((p) => setName(p.label));
  }, [names, id, again]);
  return name;
}

function statusWords(p: ProposalView): string {
  if (p.status === 'approved') return `Approved: takes effect at block ${p.height}`;
  if (p.status === 'applied') return `In effect since block ${p.height}`;
  if (p.status === 'skipped')
    return `Skipped at block ${p.height} (${String(p.code).toLowerCase().replaceAll('_', ' ')})`;
  return 'Open: waiting for votes';
}

function Proposal(props: { p: ProposalView; names: Names }) {
  const { p, names } = props;
  const subject = useName(names, p.subject, p.status);
  const by = useName(names, p.by);
  return (
    <li class={`entry ${p.status === 'skipped' ? 'denied' : 'granted'}`} data-proposal={p.id} data-status={p.status}>
      <p class="line1">
        <strong>
          {ACTION_WORDS[p.action] ?? p.action}: <span title={p.subject}>{subject}</span>
        </strong>
      </p>
      <p>
        Proposed by {by}
        {p.proposedAt > 0 ? `, ${localTime(p.proposedAt)}` : ''} · {p.votes.length} vote
        {p.votes.length === 1 ? '' : 's'} in favour: <Voters ids={p.votes} names={names} />
      </p>
      <p class="muted">{statusWords(p)}</p>
    </li>
  );
}

function Voters(props: { ids: string[]; names: Names }) {
  const [labels, setLabels] = useState(props.ids.map(shortId));
  useEffect(() => {
    Promise.all(props.ids.map((id) => props.names.party(id).then((x) => x.label))).then(setLabels);
  }, [props.ids.join(), props.names]);
  return <>{labels.join(', ')}</>;
}
