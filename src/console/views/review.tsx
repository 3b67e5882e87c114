/**
 * The organization's break-glass review queue: emergency sessions its practitioners opened, with
 * their review deadline, open or overdue, and the review action (justified or not). Read from the
 * organization's own index (audit_organization), updated by the organization's live events.
 */
import { useEffect, useState } from 'preact/hooks';
import { duration, localTime, purposeWords, shortId } from '../format.js';
import { useLive } from '../live.js';
import type { Names } from '../names.js';
import { Status, useSend } from '../send.js';
import { onEvents, type Session } from '../session.js';

const KINDS = ['emergency.opened', 'emergency.reviewed', 'emergency.overdue'] as const;
/** The newest events read: older sessions are long reviewed or flagged overdue. */
const WINDOW = 1000;

interface OrgEntry {
  type: string;
  time: number;
  attrs: Record<string, unknown>;
}

interface EmergencySession {
  id: string;
  grantee: string;
  patient: string;
  reason: string;
  openedAt: number;
  until: number;
  reviewDeadline: number;
  overdue: boolean;
  review: null | { justified: boolean; late: boolean; at: number };
}

function sessionsOf(entries: OrgEntry[]): EmergencySession[] {
  const out = new Map<string, EmergencySession>();
  for (const e of entries) {
    const a = e.attrs;
    const id = String(a.session);
    if (e.type === 'emergency.opened')
      out.set(id, {
        id,
        grantee: String(a.grantee),
        patient: String(a.patient),
        reason: String(a.reason),
        openedAt: e.time,
        until: Number(a.until),
        reviewDeadline: Number(a.reviewDeadline),
        overdue: false,
        review: null,
      });
    const s = out.get(id);
    if (s === undefined) continue;
    if (e.type === 'emergency.overdue') s.overdue = true;
    if (e.type === 'emergency.reviewed')
      s.review = { justified: a.justified === true, late: a.late === true, at: e.time };
  }
  return [...out.values()].sort((x, y) => y.openedAt - x.openedAt);
}

export function ReviewQueue(props: { s: Session; names: Names }) {
  const { s } = props;
  const live = useLive(
    async () => {
      const r = await s.http.call('audit_organization', {
        org: s.id,
        kinds: [...KINDS],
        page: { limit: WINDOW, reverse: true },
      });
      return sessionsOf(r.entries.reverse());
    },
    (changed) => onEvents(s, { kinds: [...KINDS] }, changed),
    [s.id],
  );
  const { msg, send } = useSend(s, () => live.reload());
  const review = (x: EmergencySession, justified: boolean) =>
    send('Review', () => s.tx.reviewEmergency(x.id, justified), 'Review recorded on the chain.');

  const all = live.data ?? [];
  const open = all.filter((x) => x.review === null);
  const done = all.filter((x) => x.review !== null);
  return (
    <div class="stack">
      <p class="muted">
        When one of your practitioners uses emergency access (break the glass) to a patient’s records without consent,
        your organization must review it before the deadline. The patient sees the access and your review.
      </p>
      <Status msg={msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      <section aria-labelledby="open-h">
        <h2 id="open-h">Waiting for review ({open.length})</h2>
        {live.data !== null && open.length === 0 && <p>Nothing to review.</p>}
        <ul class="feed">
          {open.map((x) => (
            <SessionItem key={x.id} x={x} names={props.names} onReview={(j) => review(x, j)} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="done-h">
        <h2 id="done-h">Reviewed</h2>
        <ul class="feed">
          {done.map((x) => (
            <SessionItem key={x.id} x={x} names={props.names} />
          ))}
        </ul>
      </section>
    </div>
  );
}

function SessionItem(props: { x: EmergencySession; names: Names; onReview?: (justified: boolean) => void }) {
  const { x } = props;
  const [who, setWho] = useState(shortId(x.grantee));
  useEffect(() => {
    props.names.party(x.grantee).then((p) => setWho(p.label));
  }, [props.names, x.grantee]);
  const late = x.overdue || Date.now() > x.reviewDeadline;
  return (
    <li class={`entry emergency${late && x.review === null ? ' overdue' : ''}`} data-session={x.id}>
      <p class="line1">
        <strong title={x.grantee}>{who}</strong> <span class="badge warn">Emergency</span>
        {late && x.review === null && <span class="badge bad">Overdue</span>}
        {x.review !== null && (
          <span class={`badge ${x.review.justified ? 'ok' : 'bad'}`}>
            {x.review.justified ? 'Justified' : 'Not justified'}
            {x.review.late ? ' (late)' : ''}
          </span>
        )}
      </p>
      <p>
        Patient <span title={x.patient}>{shortId(x.patient)}</span>, for {purposeWords(x.reason)}, opened{' '}
        {localTime(x.openedAt)}
      </p>
      <p class="muted">
        {x.review === null
          ? `Review due ${localTime(x.reviewDeadline)} (${late ? 'passed' : `in ${duration(x.reviewDeadline - Date.now())}`})`
          : `Reviewed ${localTime(x.review.at)}`}
      </p>
      {props.onReview !== undefined && (
        <div class="actions">
          <button type="button" onClick={() => props.onReview?.(true)}>
            Justified
          </button>
          <button type="button" class="secondary" onClick={() => props.onReview?.(false)}>
            Not justified
          </button>
        </div>
      )}
    </li>
  );
}
