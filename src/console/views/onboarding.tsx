/**
 * The organization registers people: it co-signs a patient's registration request (the patient's
 * browser then sends the registration) or sends a practitioner's registration itself. Below, who
 * it registered, newest first.
 */
import { useState } from 'preact/hooks';
import { unhex } from '../../client/index.js';
import { localTime, shortId } from '../format.js';
import { errorText, useLive } from '../live.js';
import { cosignPatient, parseRequest } from '../onboarding.js';
import { registered } from '../org.js';
import { Status, useSend } from '../send.js';
import { onEvents, type Session } from '../session.js';

export function Onboarding(props: { s: Session }) {
  const { s } = props;
  const live = useLive(
    () => registered(s),
    (changed) => onEvents(s, { kinds: ['identity.registered'] }, changed),
    [s.id],
  );
  const { msg, setMsg, send } = useSend(s, () => live.reload());
  const [answer, setAnswer] = useState('');

  const onSubmit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setAnswer('');
    const text = String(new FormData(e.currentTarget as HTMLFormElement).get('request') ?? '');
    try {
      const req = parseRequest(text, s.chainId);
      if (req.medchain === 'register-patient') {
        setAnswer(cosignPatient(req, s.account));
        setMsg('Co-signed. Hand the answer below back to the patient: their browser finishes the registration.');
        return;
      }
      const proof = unhex(req.proof);
      await send(
        'Register practitioner',
        () => s.tx.registerPractitioner({ publicKey: req.pubkey, sign: () => proof }),
        'Practitioner registered: they can sign in now.',
      );
    } catch (err) {
      setMsg(`Request: ${errorText(err)}`);
    }
  };

  const list = live.data ?? [];
  return (
    <div class="stack">
      <Status msg={msg} />
      <section aria-labelledby="req-h" class="card">
        <h2 id="req-h">Register a patient or a practitioner</h2>
        <p class="muted">
          Paste the registration request their browser made. A patient’s request gets your co-signature to hand back; a
          practitioner’s is registered at once.
        </p>
        <form onSubmit={onSubmit}>
          <label for="onboard-request">Registration request</label>
          <textarea id="onboard-request" name="request" rows={4} required />
          <button type="submit">Register</button>
        </form>
        {answer !== '' && (
          <>
            <label for="onboard-answer">Answer for the patient</label>
            <textarea id="onboard-answer" readOnly rows={4} value={answer} />
          </>
        )}
      </section>
      <section aria-labelledby="reg-h">
        <h2 id="reg-h">Registered by your organization ({list.length})</h2>
        {live.error !== null && <p class="error">{live.error}</p>}
        <ul class="feed">
          {list.map((r) => (
            <li key={r.id} class="entry" data-registered={r.id}>
              <p class="line1">
                <strong title={r.id}>
                  {r.type === 'practitioner' ? 'Practitioner' : 'Patient'} {shortId(r.id)}
                </strong>
              </p>
              <p class="muted">registered {localTime(r.at)}</p>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
