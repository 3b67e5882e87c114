/**
 * The organization's break-glass review queue: emergency sessions its practitioners opened, with
 * their review deadline, open or overdue, and the review action (justified or not). The node has
 * no "sessions of an organization" query, so the queue reads the audit trail of each staff member
 * the console knows: those added here and those named by the organization's live events.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AuditEntry } from '../../client/index.js';
import { duration, isHexId, localTime, purposeWords, shortId } from '../format.js';
import { errorText, useLive } from '../live.js';
import type { Names } from '../names.js';
import { onEvents, type Session } from '../session.js';

const KINDS = ['emergency.opened', 'emergency.reviewed', 'emergency.overdue'];

const staffKey = (org: string): string => `medchain.staff.${org}`;

function staff(org: string): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(staffKey(org)) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && isHexId(x)) : [];
  } catch {
    return [];
  }
}

function addStaff(org: string, id: string): boolean {
  const list = staff(org);
  if (list.includes(id)) return false;
  localStorage.setItem(staffKey(org), JSON.stringify([...list, id]));
  return true;
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

function sessionsOf(entries: AuditEntry[]): EmergencySession[] {
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
  const [msg, setMsg] = useState('');
  const live = useLive(
    async () => {
      const pages = await Promise.all(
        staff(s.id).map((g) => s.http.call('audit_query', { grantee: g, kinds: KINDS, page: { limit: 500 } })),
      );
      return sessionsOf(pages.flatMap((p) => p.entries).sort((a, b) => a.height - b.height || a.seq - b.seq));
    },
    (changed) =>
      onEvents(s, { kinds: KINDS }, (ev) => {
        const g = (ev as { attrs?: { grantee?: unknown } }).attrs?.grantee;
        if (typeof g === 'string' && isHexId(g)) addStaff(s.id, g.toLowerCase());
        changed();
      }),
    [s.id],
  );

  const review = async (x: EmergencySession, justified: boolean): Promise<void> => {
    setMsg('Review: sending…');
    try {
      const r = await s.http.send(s.tx.reviewEmergency(x.id, justified));
      setMsg(
        r.status === 'ok' ? 'Review recorded on the chain.' : `Review refused by the chain (${r.code ?? r.status}).`,
      );
      live.reload();
    } catch (err) {
      setMsg(`Review: ${errorText(err)}`);
    }
  };

  const onAdd = (e: Event): void => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const id = String(new FormData(form).get('staff') ?? '')
      .trim()
      .toLowerCase();
    if (!isHexId(id)) {
      setMsg('Staff: enter a practitioner id (0x and 64 hex digits).');
      return;
    }
    addStaff(s.id, id);
    form.reset();
    live.reload();
  };

  const all = live.data ?? [];
  const open = all.filter((x) => x.review === null);
  const done = all.filter((x) => x.review !== null);
  return (
    <div class="stack">
      <p class="muted">
        When one of your practitioners uses emergency access (break the glass) to a patient’s records without consent,
        your organization must review it before the deadline. The patient sees the access and your review.
      </p>
      <p role="status" aria-live="polite" class="status">
        {msg}
      </p>
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
      <section aria-labelledby="staff-h" class="card">
        <h2 id="staff-h">Staff followed here ({staff(s.id).length})</h2>
        <form onSubmit={onAdd}>
          <label for="staff">Practitioner id</label>
          <input id="staff" name="staff" autocomplete="off" />
          <button type="submit">Follow</button>
        </form>
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
