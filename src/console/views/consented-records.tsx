/**
 * "Records I may read": per patient who consented to me, the records a live consent covers now
 * (record_listForGrantee, the node's access rule per purpose), in plain words, each with a check
 * and an open action.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Result } from '../../client/index.js';
import { localTime, purposeWords, shortId } from '../format.js';
import { errorText } from '../live.js';
import type { Names } from '../names.js';
import type { Session } from '../session.js';

type Covered = Result<'record_listForGrantee'>['records'][number];

export interface RecordActions {
  check: (record: string, purpose: string) => void;
  open: (record: string, purpose: string) => void;
}

export function ConsentedRecords(
  props: { s: Session; names: Names; patients: string[]; version: string } & RecordActions,
) {
  // With no live consent the section above already says so.
  if (props.patients.length === 0) return null;
  return (
    <section aria-labelledby="covered-h">
      <h2 id="covered-h">Records I may read</h2>
      {props.patients.map((p) => (
        <PatientRecords key={`${p}.${props.version}`} {...props} patient={p} />
      ))}
    </section>
  );
}

function PatientRecords(props: { s: Session; names: Names; patient: string } & RecordActions) {
  const { s, patient } = props;
  const [name, setName] = useState(`Patient ${shortId(patient)}`);
  const [records, setRecords] = useState<Covered[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // A patient's identity is not the clinician's to read: a name they saved, or "Patient 0x12…ab".
    props.names.party(patient).then((p) => p.label !== shortId(patient) && setName(p.label));
    s.http.call('record_listForGrantee', { grantee: s.id, patient }).then(
      (r) => setRecords(r.records),
      (err: unknown) => setError(errorText(err)),
    );
  }, [s, patient, props.names]);
  return (
    <div class="card" data-patient={patient}>
      <h3 title={patient}>{name}</h3>
      {error !== null && <p class="error">{error}</p>}
      {records === null && error === null && <p>Loading…</p>}
      {records !== null && records.length === 0 && (
        <p>No record you may read now (the consent may cover records not stored yet, or you lack a valid license).</p>
      )}
      <ul class="feed">
        {(records ?? []).map((r) => (
          <CoveredRecord key={r.id} r={r} names={props.names} check={props.check} open={props.open} />
        ))}
      </ul>
    </div>
  );
}

function CoveredRecord(props: { r: Covered; names: Names } & RecordActions) {
  const { r } = props;
  const [custodian, setCustodian] = useState(shortId(r.custodian));
  useEffect(() => {
    props.names.party(r.custodian).then((p) => setCustodian(p.label));
  }, [props.names, r.custodian]);
  const purpose = r.purposes[0] ?? 'TREAT';
  const label = `${r.resourceType} of ${localTime(r.createdAt)}`;
  return (
    <li class="entry granted" data-record={r.id}>
      <p class="line1">
        <strong>{r.resourceType}</strong> <span class="muted">added {localTime(r.createdAt)}</span>
      </p>
      <p>
        Kept by {custodian} · you may read it for {r.purposes.map(purposeWords).join(', ')}
      </p>
      <div class="actions">
        <button
          type="button"
          class="secondary"
          onClick={() => props.check(r.id, purpose)}
          aria-label={`Check access to the ${label}`}
        >
          Check access
        </button>
        <button type="button" onClick={() => props.open(r.id, purpose)} aria-label={`Open the ${label}`}>
          Open…
        </button>
      </div>
    </li>
  );
}
