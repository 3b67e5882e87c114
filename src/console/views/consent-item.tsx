/**
 * One consent as a person reads it: who (the grantee for the patient, the patient for the
 * clinician), what it covers, for what, and until when; with a revoke button where allowed.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Result } from '../../client/index.js';
import { duration, localTime, PURPOSE_WORDS, shortId } from '../format.js';
import type { Names } from '../names.js';

export type ConsentJson = Result<'consent_listByPatient'>['consents'][number];

const STATUS_WORDS: Record<string, string> = {
  active: 'Live',
  pending: 'Not yet started',
  expired: 'Expired',
  revoked: 'Revoked',
  removed: 'Ended',
};

export function ConsentItem(props: {
  c: ConsentJson;
  names: Names;
  /** Whose name leads the entry. */
  whom: 'grantee' | 'patient';
  onRevoke?: () => void;
}) {
  const { c } = props;
  const party = c[props.whom];
  const [who, setWho] = useState<string>(shortId(party));
  useEffect(() => {
    props.names.party(party).then((p) => setWho(p.org ? `${p.label} at ${p.org}` : p.label));
  }, [props.names, party]);
  const scope = [
    ...c.resourceTypes,
    ...(c.records.length > 0 ? [`${c.records.length} record${c.records.length === 1 ? '' : 's'}`] : []),
  ].join(', ');
  const left = c.expiresAt - Date.now();
  return (
    <li class={`entry consent ${c.status}`} data-status={c.status}>
      <p class="line1">
        <strong title={party}>{who}</strong> <span class="badge">{STATUS_WORDS[c.status] ?? c.status}</span>
      </p>
      <p>
        {scope || 'all records'} · for {c.purposes.map((p) => PURPOSE_WORDS[p] ?? p).join(', ')}
      </p>
      <p class="muted">
        {c.status === 'revoked' && c.revokedAt !== null
          ? `revoked ${localTime(c.revokedAt)}`
          : left > 0
            ? `until ${localTime(c.expiresAt)} (${duration(left)} left)`
            : `ended ${localTime(c.expiresAt)}`}
      </p>
      {props.onRevoke !== undefined && (
        <button type="button" onClick={props.onRevoke} aria-label={`Revoke the consent of ${who}`}>
          Revoke
        </button>
      )}
    </li>
  );
}
