/**
 * The organization's practitioners: suspended ones first (the chain suspends after repeated
 * refused accesses) with reinstatement, flagged ones (refused accesses or emergency use lately),
 * their credentials with revoke, and issuing a credential.
 */
import { useEffect, useState } from 'preact/hooks';
import type { CredentialTypeName, Result } from '../../client/index.js';
import { localTime, shortId } from '../format.js';
import { useLive } from '../live.js';
import type { Names } from '../names.js';
import { staffOf } from '../org.js';
import { idField, type Sender, Status, useSend } from '../send.js';
import { onEvents, publicHttp, type Session } from '../session.js';

const EVENTS = [
  'grantee.suspended',
  'grantee.reinstated',
  'credential.issued',
  'credential.revoked',
  'identity.registered',
];
const CRED_WORDS: Record<CredentialTypeName, string> = {
  license: 'License to practise',
  specialty: 'Specialty',
  emergency: 'Emergency access privilege',
};
/** Refused accesses and emergencies of a practitioner's last 100 events make a flag. */
const RECENT = 100;

interface Member {
  id: string;
  suspended: boolean;
  refused: number;
  emergencies: number;
  credentials: Result<'credential_list'>['credentials'];
}

async function member(s: Session, id: string): Promise<Member> {
  const [who, creds, trail] = await Promise.all([
    s.http.call('identity_get', { id }),
    s.http.call('credential_list', { practitioner: id }),
    s.http.call('audit_query', {
      grantee: id,
      kinds: ['access', 'emergency.opened', 'emergency.denied'],
      page: { limit: RECENT, reverse: true },
    }),
  ]);
  return {
    id,
    suspended: who.identity?.suspended === true,
    refused: trail.entries.filter((e) => e.attrs.granted === false || e.type === 'emergency.denied').length,
    emergencies: trail.entries.filter((e) => e.type === 'emergency.opened').length,
    credentials: creds.credentials,
  };
}

export function Staff(props: { s: Session; names: Names }) {
  const { s } = props;
  const live = useLive(
    async () => Promise.all((await staffOf(s)).map((r) => member(s, r.id))),
    (changed) => onEvents(s, { kinds: EVENTS }, changed),
    [s.id],
  );
  const sender = useSend(s, () => live.reload());
  const all = live.data ?? [];
  const suspended = all.filter((m) => m.suspended);
  const others = all.filter((m) => !m.suspended);
  return (
    <div class="stack">
      <Status msg={sender.msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      <section aria-labelledby="susp-h">
        <h2 id="susp-h">Suspended ({suspended.length})</h2>
        {live.data !== null && suspended.length === 0 && <p>No one is suspended.</p>}
        <ul class="feed">
          {suspended.map((m) => (
            <MemberItem key={m.id} m={m} s={s} names={props.names} sender={sender} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="staff-h">
        <h2 id="staff-h">Practitioners ({others.length})</h2>
        <ul class="feed">
          {others.map((m) => (
            <MemberItem key={m.id} m={m} s={s} names={props.names} sender={sender} />
          ))}
        </ul>
      </section>
      <IssueForm s={s} sender={sender} staff={all.map((m) => m.id)} />
    </div>
  );
}

function MemberItem(props: { m: Member; s: Session; names: Names; sender: Sender }) {
  const { m, s, sender } = props;
  const [who, setWho] = useState(shortId(m.id));
  useEffect(() => {
    props.names.party(m.id).then((p) => setWho(p.label));
  }, [props.names, m.id]);
  const flagged = m.refused > 0 || m.emergencies > 0;
  return (
    <li class={`entry${m.suspended ? ' denied' : flagged ? ' emergency' : ''}`} data-staff={m.id}>
      <p class="line1">
        <strong title={m.id}>{who}</strong>
        {m.suspended && <span class="badge bad">Suspended</span>}
        {!m.suspended && flagged && <span class="badge warn">Flagged</span>}
      </p>
      {flagged && (
        <p>
          Lately: {m.refused} refused access{m.refused === 1 ? '' : 'es'}, {m.emergencies} emergency access
          {m.emergencies === 1 ? '' : 'es'}
        </p>
      )}
      <ul class="creds">
        {m.credentials.map((c) => (
          <li key={`${c.type}${c.qualifier}`} data-credential={c.type} data-valid={c.valid}>
            {CRED_WORDS[c.type]}
            {c.type === 'specialty' ? ` ${c.qualifier}` : ''}:{' '}
            {c.revokedAt !== null
              ? `revoked ${localTime(c.revokedAt)}`
              : `${c.valid ? 'valid' : 'not valid'} until ${localTime(c.validUntil)}`}{' '}
            {c.revokedAt === null && (
              <button
                type="button"
                class="link"
                aria-label={`Revoke the ${CRED_WORDS[c.type]} of ${who}`}
                onClick={() =>
                  sender.send('Revoke credential', () =>
                    s.tx.revokeCredential({ practitioner: m.id, type: c.type, qualifier: c.qualifier }),
                  )
                }
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      {m.suspended && (
        <button type="button" onClick={() => sender.send('Reinstate', () => s.tx.reinstate(m.id))}>
          Reinstate {who}
        </button>
      )}
    </li>
  );
}

function IssueForm(props: { s: Session; sender: Sender; staff: string[] }) {
  const { s, sender } = props;
  const onSubmit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const practitioner = idField(d, 'practitioner');
    const type = String(d.get('type')) as CredentialTypeName;
    const days = Number(d.get('days'));
    const qualifier = Number(d.get('qualifier') ?? 0);
    if (practitioner === null || !(type in CRED_WORDS) || !(days > 0) || !Number.isInteger(qualifier)) {
      sender.setMsg('Credential: enter a practitioner id, a type and a number of days.');
      return;
    }
    // Block time, not this device's clock: the chain judges validity against it.
    const { headTime } = await publicHttp().status();
    await sender.send('Issue credential', () =>
      s.tx.issueCredential({
        practitioner,
        type,
        qualifier,
        validFrom: headTime,
        validUntil: headTime + days * 86_400_000,
      }),
    );
  };
  return (
    <section aria-labelledby="issue-h" class="card">
      <h2 id="issue-h">Issue a credential</h2>
      <form onSubmit={onSubmit}>
        <label for="issue-practitioner">Practitioner id</label>
        <input id="issue-practitioner" name="practitioner" list="staff-ids" autocomplete="off" required />
        <datalist id="staff-ids">
          {props.staff.map((id) => (
            <option key={id} value={id} />
          ))}
        </datalist>
        <label for="issue-type">Credential</label>
        <select id="issue-type" name="type">
          {(Object.keys(CRED_WORDS) as CredentialTypeName[]).map((t) => (
            <option key={t} value={t}>
              {CRED_WORDS[t]}
            </option>
          ))}
        </select>
        <label for="issue-qualifier">Specialty code (specialty only)</label>
        <input id="issue-qualifier" name="qualifier" inputMode="numeric" defaultValue="0" />
        <label for="issue-days">Valid for (days)</label>
        <input id="issue-days" name="days" inputMode="numeric" defaultValue="365" required />
        <button type="submit">Issue</button>
      </form>
    </section>
  );
}
