/**
 * New here: create a key on this device (kept encrypted, like an imported one), and hand the
 * registration request to your organization. A patient then pastes the organization's answer
 * and the browser sends the registration it signs; a practitioner signs in once registered.
 */
import { useState } from 'preact/hooks';
import { type Account, MedchainClient, TxFactory, unhex } from '../client/index.js';
import { newKey, storeKey } from './keys.js';
import { errorText } from './live.js';
import { parseCosign, patientRequest, practitionerRequest } from './onboarding.js';
import { Status } from './send.js';
import { nodeUrl, openSession, publicHttp, type Session } from './session.js';

interface Joining {
  account: Account;
  name: string;
  chainId: string;
  as: 'patient' | 'practitioner';
  request: string;
}

export function Join(props: { onSignedIn: (s: Session) => void }) {
  const [j, setJ] = useState<Joining | null>(null);
  const [msg, setMsg] = useState('');
  const [busy, setBusy] = useState(false);

  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setMsg(what);
    try {
      await fn();
    } catch (err) {
      setMsg(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const create = (e: Event): void => {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const name = String(d.get('name') ?? '').trim();
    const password = String(d.get('password') ?? '');
    const as = d.get('as') === 'practitioner' ? 'practitioner' : 'patient';
    if (name === '' || password.length < 8) {
      setMsg('Choose a name and a password of at least 8 characters.');
      return;
    }
    step('Creating your key…', async () => {
      const { chainId } = await publicHttp().status();
      const { file, account } = await newKey(name, password);
      storeKey(file);
      const request = as === 'patient' ? patientRequest(chainId, account) : practitionerRequest(chainId, account);
      setJ({ account, name, chainId, as, request });
      setMsg('Your key is ready. Hand the request below to your organization.');
    });
  };

  const finish = (e: Event): void => {
    e.preventDefault();
    if (j === null) return;
    const answer = String(new FormData(e.currentTarget as HTMLFormElement).get('answer') ?? '');
    step('Registering on the chain…', async () => {
      const c = parseCosign(answer, j.chainId, j.account);
      const sig = unhex(c.orgSig);
      const tx = new TxFactory({ chainId: j.chainId, account: j.account }).registerPatient({
        id: c.org,
        sign: () => sig,
      });
      const client = MedchainClient.http(nodeUrl(), { account: j.account, chainId: j.chainId });
      try {
        const r = await client.send(tx);
        if (r.status !== 'ok') throw new Error(`The chain refused the registration (${r.code ?? r.status}).`);
      } finally {
        await client.close();
      }
      props.onSignedIn(await openSession(j.account, j.name));
    });
  };

  const signIn = (): void => {
    if (j !== null) step('Signing in…', async () => props.onSignedIn(await openSession(j.account, j.name)));
  };

  return (
    <section aria-labelledby="join-h" class="card">
      <h2 id="join-h">New here? Create your key</h2>
      <Status msg={msg} />
      {j === null ? (
        <form onSubmit={create}>
          <fieldset>
            <legend>I am</legend>
            <label class="check">
              <input type="radio" name="as" value="patient" defaultChecked /> a patient
            </label>
            <label class="check">
              <input type="radio" name="as" value="practitioner" /> a practitioner
            </label>
          </fieldset>
          <label for="join-name">Name of the key on this device</label>
          <input id="join-name" name="name" autocomplete="off" required />
          <label for="join-password">Password (at least 8 characters)</label>
          <input id="join-password" name="password" type="password" autocomplete="new-password" required />
          <button type="submit" disabled={busy}>
            Create my key
          </button>
        </form>
      ) : (
        <>
          <label for="join-request">Your registration request (it holds no secret)</label>
          <textarea id="join-request" readOnly rows={4} value={j.request} />
          {j.as === 'patient' ? (
            <form onSubmit={finish}>
              <label for="join-answer">Your organization’s answer</label>
              <textarea id="join-answer" name="answer" rows={4} required />
              <button type="submit" disabled={busy}>
                Finish registration
              </button>
            </form>
          ) : (
            <button type="button" onClick={signIn} disabled={busy}>
              I am registered: sign in
            </button>
          )}
        </>
      )}
    </section>
  );
}
