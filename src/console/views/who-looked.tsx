/**
 * The patient's "who looked": every access to her records and every emergency access, granted or
 * denied, newest first, each checked in this browser against its block's commit certificate.
 * It follows the chain live: a new event for her reloads the list.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AuditEntry } from '../../client/index.js';
import { disclosuresCsv, disclosuresFhir } from '../accounting.js';
import { download } from '../download.js';
import { localTime, purposeWords, reasonWords } from '../format.js';
import { errorText, useLive } from '../live.js';
import type { Names, Party } from '../names.js';
import type { ProofChecker } from '../proofs.js';
import { onEvents, type Session } from '../session.js';

export const LOOKS = ['access', 'emergency.opened', 'emergency.denied', 'emergency.reviewed', 'emergency.overdue'];

export function WhoLooked(props: { s: Session; names: Names; checker: ProofChecker }) {
  const { s } = props;
  const live = useLive(
    () =>
      s.http.call('audit_query', { patient: s.id, kinds: LOOKS, proofs: true, page: { reverse: true, limit: 100 } }),
    (changed) => onEvents(s, { patient: s.id, kinds: LOOKS }, changed),
    [s.id],
  );
  const entries = live.data?.entries ?? [];
  const [msg, setMsg] = useState('');
  const save = (kind: 'csv' | 'fhir'): void => {
    setMsg('Preparing the download…');
    (kind === 'csv' ? disclosuresCsv(s) : disclosuresFhir(s)).then(
      (text) => {
        const [name, type] =
          kind === 'csv' ? ['disclosures.csv', 'text/csv'] : ['disclosures.fhir.json', 'application/fhir+json'];
        download(name, type, text);
        setMsg(`Downloaded ${name}.`);
      },
      (err: unknown) => setMsg(`Download failed: ${errorText(err)}`),
    );
  };
  return (
    <section aria-describedby="looked-intro">
      <p id="looked-intro" class="muted">
        Every time someone asked to read your records, whether it was allowed or refused. Emergency (break-the-glass)
        access is highlighted. "Verified" means this browser checked the entry against the signatures of the hospitals
        that run the chain.
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => save('csv')}>
          Download the list (CSV)
        </button>
        <button type="button" class="secondary" onClick={() => save('fhir')}>
          Download the list (FHIR Bundle)
        </button>
      </div>
      <p role="status" aria-live="polite" class="status">
        {msg}
      </p>
      {live.error !== null && <p class="error">{live.error}</p>}
      {live.data === null && live.error === null && <p>Loading…</p>}
      {live.data !== null && entries.length === 0 && <p>Nobody has accessed your records yet.</p>}
      <ol class="feed" aria-label="Accesses to your records, newest first">
        {entries.map((e) => (
          <Look key={`${e.height}.${e.receiptIndex}.${e.seq}`} e={e} names={props.names} checker={props.checker} />
        ))}
      </ol>
    </section>
  );
}

function usePromise<T>(make: () => Promise<T>, deps: unknown[]): T | undefined {
  const [v, setV] = useState<T | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    make().then(
      (x) => alive && setV(x),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, deps);
  return v;
}

interface Said {
  what: string;
  outcome: 'granted' | 'denied' | 'info';
  emergency: boolean;
}

function describe(e: AuditEntry): Said {
  const a = e.attrs;
  const n = typeof a.records === 'string' ? Math.max(1, (a.records.length - 2) / 64) : 0;
  const recs = n === 1 ? '1 record' : `${n} records`;
  switch (e.type) {
    case 'access':
      return a.granted === true
        ? {
            what: `Read ${recs} for ${purposeWords(a.purpose)}${a.emergency === true ? ' under emergency access' : ''}`,
            outcome: 'granted',
            emergency: a.emergency === true,
          }
        : { what: `Tried to read ${recs}: refused (${reasonWords(a.code)})`, outcome: 'denied', emergency: false };
    case 'emergency.opened':
      return {
        what: `Opened emergency access (break the glass) for ${purposeWords(a.reason)}`,
        outcome: 'granted',
        emergency: true,
      };
    case 'emergency.denied':
      return { what: `Emergency access refused (${reasonWords(a.code)})`, outcome: 'denied', emergency: true };
    case 'emergency.reviewed':
      return {
        what: `The hospital reviewed this emergency access: ${a.justified === true ? 'justified' : 'NOT justified'}`,
        outcome: 'info',
        emergency: true,
      };
    default:
      return { what: 'The emergency access was not reviewed in time', outcome: 'info', emergency: true };
  }
}

function Look(props: { e: AuditEntry; names: Names; checker: ProofChecker }) {
  const { e } = props;
  const grantee = String(e.attrs.grantee ?? '');
  const who: Party | undefined = usePromise(() => props.names.party(grantee), [grantee]);
  const verified = usePromise(() => props.checker.verify(e), [e.height, e.receiptIndex, e.seq]);
  const said = describe(e);
  const cls = `entry ${said.outcome}${said.emergency ? ' emergency' : ''}`;
  return (
    <li class={cls} data-kind={e.type} data-outcome={said.outcome} data-verified={String(verified === true)}>
      <p class="line1">
        <strong title={grantee}>{who?.label ?? '…'}</strong>
        {who?.org ? <span> at {who.org}</span> : null}
        {said.emergency && <span class="badge warn">Emergency</span>}
        {said.outcome === 'denied' && <span class="badge bad">Refused</span>}
        {said.outcome === 'granted' && <span class="badge ok">Allowed</span>}
      </p>
      <p>{said.what}</p>
      <p class="muted">
        <time dateTime={new Date(e.time).toISOString()}>{localTime(e.time)}</time> · block {e.height} ·{' '}
        {verified === undefined ? (
          'checking…'
        ) : verified ? (
          <span class="verified" title="Receipt proof and commit certificate checked in this browser">
            ✓ verified
          </span>
        ) : (
          <span class="unverified">✗ not verified</span>
        )}
      </p>
    </li>
  );
}
