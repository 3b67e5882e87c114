/**
 * The patient's consents: live ones first, then expired and revoked; a form to grant one (grantee
 * by name or id, record types or records, purposes in words, a duration) and a revoke button.
 */
import type { PurposeName } from '../../client/index.js';
import { RESOURCE_TYPES, type ResourceType } from '../../tx/kinds.js';
import { CONSENT_PURPOSES, isHexId, localTime, PURPOSE_WORDS } from '../format.js';
import { useLive } from '../live.js';
import { contacts, type Names, saveContact } from '../names.js';
import { Status, useSend } from '../send.js';
import { onEvents, type Session } from '../session.js';
import { ConsentItem } from './consent-item.js';

const DURATIONS: [string, number][] = [
  ['1 hour', 1],
  ['1 day', 24],
  ['2 days (48 hours)', 48],
  ['1 week', 168],
  ['30 days', 720],
  ['1 year', 8760],
];

export function Consents(props: { s: Session; names: Names }) {
  const { s } = props;
  const live = useLive(
    async () => {
      const [c, r] = await Promise.all([
        s.http.call('consent_listByPatient', { patient: s.id, page: { reverse: true, limit: 100 } }),
        s.http.call('record_listByPatient', { patient: s.id, page: { limit: 100 } }),
      ]);
      return { consents: c.consents, records: r.records.filter((x) => !x.erased) };
    },
    (changed) => onEvents(s, { patient: s.id, kinds: ['consent.granted', 'consent.revoked', 'record.added'] }, changed),
    [s.id],
  );

  const { msg, setMsg, send } = useSend(s, () => live.reload());

  const consents = live.data?.consents ?? [];
  const current = consents.filter((c) => c.status === 'active' || c.status === 'pending');
  const past = consents.filter((c) => c.status !== 'active' && c.status !== 'pending');
  return (
    <div class="stack">
      <Status msg={msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      <section aria-labelledby="live-h">
        <h2 id="live-h">Who may read my records now</h2>
        {live.data !== null && current.length === 0 && <p>No one: you have no live consent.</p>}
        <ul class="feed">
          {current.map((c) => (
            <ConsentItem
              key={c.id}
              c={c}
              names={props.names}
              whom="grantee"
              onRevoke={() => send('Revoke', () => s.tx.revokeConsent({ grantee: c.grantee, consent: c.id }))}
            />
          ))}
        </ul>
      </section>
      <GrantForm
        s={s}
        records={live.data?.records ?? []}
        onGrant={(g) => send('Grant', () => s.tx.grantConsent(g))}
        setMsg={setMsg}
      />
      <section aria-labelledby="past-h">
        <h2 id="past-h">Expired and revoked</h2>
        {live.data !== null && past.length === 0 && <p>None.</p>}
        <ul class="feed">
          {past.map((c) => (
            <ConsentItem key={c.id} c={c} names={props.names} whom="grantee" />
          ))}
        </ul>
      </section>
    </div>
  );
}

interface Grant {
  grantee: string;
  types: ResourceType[];
  records: string[];
  purposes: PurposeName[];
  hours: number;
}

function GrantForm(props: {
  s: Session;
  records: { id: string; resourceType: string; createdAt: number }[];
  onGrant: (g: Grant) => void;
  setMsg: (m: string) => void;
}) {
  const book = contacts();
  const onSubmit = (e: Event): void => {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const typed = String(d.get('grantee') ?? '').trim();
    const byName = Object.entries(book).find(([, n]) => n.toLowerCase() === typed.toLowerCase());
    const grantee = isHexId(typed) ? typed.toLowerCase() : byName?.[0];
    if (grantee === undefined) {
      props.setMsg('Grant: enter the grantee’s id (0x…, 64 hex digits) or the name of one of your contacts.');
      return;
    }
    const name = String(d.get('name') ?? '').trim();
    if (name !== '' && isHexId(typed)) saveContact(grantee, name);
    const types = d.getAll('types').map(String) as ResourceType[];
    const records = d.getAll('records').map(String);
    const purposes = d.getAll('purposes').map(String) as PurposeName[];
    if (types.length + records.length === 0 || purposes.length === 0) {
      props.setMsg('Grant: choose at least one kind of record (or record) and one purpose.');
      return;
    }
    props.onGrant({ grantee, types, records, purposes, hours: Number(d.get('hours')) });
  };
  return (
    <section aria-labelledby="grant-h" class="card">
      <h2 id="grant-h">Give someone access</h2>
      <form onSubmit={onSubmit}>
        <label for="grantee">Who (a contact’s name, or their id)</label>
        <input id="grantee" name="grantee" list="known-people" autocomplete="off" required />
        <datalist id="known-people">
          {Object.entries(book).map(([id, n]) => (
            <option key={id} value={n} />
          ))}
        </datalist>
        <label for="grantee-name">Name to remember them by (optional)</label>
        <input id="grantee-name" name="name" autocomplete="off" />
        <fieldset>
          <legend>Which kinds of records</legend>
          <div class="grid">
            {RESOURCE_TYPES.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" name="types" value={t} /> {t}
              </label>
            ))}
          </div>
        </fieldset>
        {props.records.length > 0 && (
          <fieldset>
            <legend>Or these records</legend>
            {props.records.map((r) => (
              <label key={r.id} class="check">
                <input type="checkbox" name="records" value={r.id} /> {r.resourceType} of {localTime(r.createdAt)}
              </label>
            ))}
          </fieldset>
        )}
        <fieldset>
          <legend>For what</legend>
          {CONSENT_PURPOSES.map((p) => (
            <label key={p} class="check">
              <input type="checkbox" name="purposes" value={p} defaultChecked={p === 'TREAT'} /> {PURPOSE_WORDS[p]}
            </label>
          ))}
        </fieldset>
        <label for="hours">For how long</label>
        <select id="hours" name="hours">
          {DURATIONS.map(([label, h]) => (
            <option key={h} value={h} selected={h === 24}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit">Grant access</button>
      </form>
    </section>
  );
}
