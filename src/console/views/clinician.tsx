/**
 * The clinician's desk: the patients who consented to me (live consents) and the records those
 * consents let me read now, each with check and open; checking whether an access would be allowed
 * before acting (access_check, nothing recorded), and break-glass with a reason behind a clear
 * warning: the patient and my organization both see it.
 */
import { PURPOSE_WORDS, purposeWords, reasonWords } from '../format.js';
import { errorText, useLive } from '../live.js';
import type { Names } from '../names.js';
import { idField, Status, useSend } from '../send.js';
import { onEvents, type Session } from '../session.js';
import { ConsentItem } from './consent-item.js';
import { ConsentedRecords } from './consented-records.js';
import { OpenRecord } from './open-record.js';

export function Clinician(props: { s: Session; names: Names }) {
  const { s } = props;
  const { msg, setMsg, send } = useSend(s);
  const live = useLive(
    () => s.http.call('consent_listByGrantee', { grantee: s.id, status: ['active'], page: { limit: 100 } }),
    (changed) => onEvents(s, { grantee: s.id, kinds: ['consent.granted', 'consent.revoked'] }, changed),
    [s.id],
  );

  const checkAccess = async (record: string, purpose: string): Promise<void> => {
    try {
      const r = await s.http.call('access_check', { grantee: s.id, record, action: 'read', purpose });
      setMsg(
        r.granted
          ? `Allowed: you may read this record for ${purposeWords(purpose)}.`
          : `Not allowed: ${reasonWords(r.code)}. Reading it now would be recorded as a refused access.`,
      );
    } catch (err) {
      setMsg(`Check: ${errorText(err)}`);
    }
  };

  const check = async (e: Event): Promise<void> => {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const record = idField(d, 'record');
    if (record === null) {
      setMsg('Check: enter a record id (0x and 64 hex digits).');
      return;
    }
    await checkAccess(record, String(d.get('purpose') ?? 'TREAT'));
  };

  /** Fills a form with a listed record, so the person sees what will be done and confirms it. */
  const fill = (form: 'check' | 'open', record: string, purpose: string): HTMLButtonElement | null => {
    const input = document.getElementById(`${form}-record`) as HTMLInputElement | null;
    const select = document.getElementById(`${form}-purpose`) as HTMLSelectElement | null;
    if (input === null || select === null) return null;
    input.value = record;
    select.value = purpose;
    return input.form?.querySelector('button[type=submit]') ?? null;
  };
  const checkListed = (record: string, purpose: string): void => {
    fill('check', record, purpose);
    checkAccess(record, purpose);
  };
  const openListed = (record: string, purpose: string): void => {
    const button = fill('open', record, purpose);
    button?.scrollIntoView({ block: 'center' });
    button?.focus();
    setMsg(`Ready to open the record for ${purposeWords(purpose)}: press “Open the record”. The patient will see it.`);
  };

  const breakGlass = async (e: Event): Promise<void> => {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const patient = idField(d, 'patient');
    const reason = String(d.get('reason')) === 'BTG' ? 'BTG' : 'ETREAT';
    if (patient === null) {
      setMsg('Emergency access: enter the patient’s id (0x and 64 hex digits).');
      return;
    }
    await send(
      'Emergency access',
      () => s.tx.breakGlass(patient, reason),
      'Emergency access is open. The patient and your organization can see it; your organization will review it.',
    );
  };

  const consents = live.data?.consents ?? [];
  return (
    <div class="stack">
      <Status msg={msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      <section aria-labelledby="mine-h">
        <h2 id="mine-h">Patients who gave me access</h2>
        {live.data !== null && consents.length === 0 && <p>No live consent names you.</p>}
        <ul class="feed">
          {consents.map((c) => (
            <ConsentItem key={c.id} c={c} names={props.names} whom="patient" />
          ))}
        </ul>
      </section>
      <ConsentedRecords
        s={s}
        names={props.names}
        patients={[...new Set(consents.map((c) => c.patient))]}
        version={consents.map((c) => c.id).join()}
        check={checkListed}
        open={openListed}
      />
      <OpenRecord s={s} />
      <section aria-labelledby="check-h" class="card">
        <h2 id="check-h">Check before reading a record</h2>
        <form onSubmit={check}>
          <label for="check-record">Record id</label>
          <input id="check-record" name="record" autocomplete="off" required />
          <label for="check-purpose">Purpose</label>
          <select id="check-purpose" name="purpose">
            {['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH'].map((p) => (
              <option key={p} value={p}>
                {PURPOSE_WORDS[p]}
              </option>
            ))}
          </select>
          <button type="submit">Check access</button>
        </form>
      </section>
      <section aria-labelledby="btg-h" class="card warning">
        <h2 id="btg-h">Emergency access (break the glass)</h2>
        <p>
          <strong>Only in an emergency.</strong> It opens the patient’s records to you for a limited time without their
          consent. The patient sees it in their list of accesses, and your organization must review it.
        </p>
        <form onSubmit={breakGlass}>
          <label for="btg-patient">Patient id</label>
          <input id="btg-patient" name="patient" autocomplete="off" required />
          <label for="btg-reason">Reason</label>
          <select id="btg-reason" name="reason">
            <option value="ETREAT">Emergency treatment</option>
            <option value="BTG">Break the glass (other emergency)</option>
          </select>
          <label class="check">
            <input type="checkbox" name="understood" required /> I understand that the patient and my organization will
            see this access
          </label>
          <button type="submit">Open emergency access</button>
        </form>
      </section>
    </div>
  );
}
