/**
 * The patient's records: what kind, which hospital keeps it, when it was added, whether it was
 * erased; erasing one (the custodian's vault shreds it and its deletion receipt shows here).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Result } from '../../client/index.js';
import { localTime, shortId } from '../format.js';
import { useLive } from '../live.js';
import type { Names } from '../names.js';
import { type Sender, Status, useSend } from '../send.js';
import { onEvents, type Session } from '../session.js';

type RecordJson = Result<'record_listByPatient'>['records'][number];

export function Records(props: { s: Session; names: Names }) {
  const { s } = props;
  const live = useLive(
    () => s.http.call('record_listByPatient', { patient: s.id, page: { limit: 200 } }),
    (changed) =>
      onEvents(s, { patient: s.id, kinds: ['record.added', 'record.erased', 'record.deletion_attested'] }, changed),
    [s.id],
  );
  const sender = useSend(s, () => live.reload());
  const records = live.data?.records ?? [];
  return (
    <section aria-describedby="records-intro">
      <p id="records-intro" class="muted">
        The chain holds a pointer to each of your records, never the record itself: the hospital that keeps it
        (encrypted) hands it out only to someone your consent covers, and only after that access is on the chain.
      </p>
      <Status msg={sender.msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      {live.data !== null && records.length === 0 && <p>No records yet.</p>}
      <ul class="feed">
        {records.map((r) => (
          <RecordItem key={r.id} r={r} names={props.names} s={s} sender={sender} />
        ))}
      </ul>
    </section>
  );
}

function RecordItem(props: { r: RecordJson; names: Names; s: Session; sender: Sender }) {
  const { r } = props;
  const [custodian, setCustodian] = useState(shortId(r.custodian));
  useEffect(() => {
    props.names.party(r.custodian).then((p) => setCustodian(p.label));
  }, [props.names, r.custodian]);
  return (
    <li class={`entry${r.erased ? ' erased' : ''}`} data-record={r.id}>
      <p class="line1">
        <strong>{r.resourceType}</strong>
        {r.erased && <span class="badge bad">Erased</span>}
        {r.legalHold && <span class="badge warn">Legal hold</span>}
      </p>
      <p>
        Kept by {custodian} · added {localTime(r.createdAt)}
      </p>
      <p class="muted">
        {r.erased && r.erasedAt !== null
          ? `erased ${localTime(r.erasedAt)}${r.deletionReceipt !== null ? ' · the hospital confirmed the deletion' : ''}`
          : `record ${shortId(r.id)}`}
      </p>
      {!r.erased && (
        <details>
          <summary>Erase this record…</summary>
          <p>
            The hospital deletes it for good and confirms it here. The chain keeps only that it existed and who looked
            at it.
          </p>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              props.sender.send('Erase', () => props.s.tx.eraseRecord(r.id), 'Erased. The hospital deletes it now.')
            }
          >
            Erase the {r.resourceType} for good
          </button>
        </details>
      )}
    </li>
  );
}
