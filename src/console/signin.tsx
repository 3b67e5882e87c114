/**
 * Sign-in with a key kept on this device (encrypted), or a key file imported from the CLI's
 * keystore. The password opens the file in memory; the node only ever sees a signature of its
 * challenge (auth_challenge / auth_login).
 */
import { useState } from 'preact/hooks';
import type { KeystoreFile } from '../client/index.js';
import { shortId } from './format.js';
import { Join } from './join.js';
import { downloadKey, forgetKey, importKey, storedKeys, storeKey } from './keys.js';
import { errorText } from './live.js';
import { openSession, type Session } from './session.js';

const WRONG = 'KEYSTORE_BAD_PASSWORD';

const friendly = (err: unknown): string =>
  errorText(err).includes(WRONG) ? 'Wrong password for this key.' : `Could not sign in: ${errorText(err)}`;

export function SignIn(props: { onSignedIn: (s: Session) => void }) {
  const [keys, setKeys] = useState<KeystoreFile[]>(storedKeys());
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');

  const run = async (what: string, fn: () => Promise<Session>): Promise<void> => {
    setBusy(true);
    setMsg(what);
    try {
      props.onSignedIn(await fn());
    } catch (err) {
      setMsg(friendly(err));
    } finally {
      setBusy(false);
    }
  };

  const signInStored = (e: Event): void => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const file = keys[Number(data.get('key'))];
    const password = String(data.get('password') ?? '');
    if (file === undefined) return;
    run('Opening your key and signing in…', async () => {
      const { account } = await importKey(JSON.stringify(file), password);
      return openSession(account, file.name);
    });
  };

  const importFile = (e: Event): void => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const f = data.get('file');
    const password = String(data.get('password') ?? '');
    if (!(f instanceof File) || f.size === 0) {
      setMsg('Choose a key file first.');
      return;
    }
    run('Opening the key file and signing in…', async () => {
      const { file, account } = await importKey(await f.text(), password);
      storeKey(file);
      setKeys(storedKeys());
      return openSession(account, file.name);
    });
  };

  return (
    <div class="stack">
      <p role="status" aria-live="polite" class="status">
        {msg}
      </p>
      {keys.length > 0 && (
        <section aria-labelledby="stored-h" class="card">
          <h2 id="stored-h">Keys on this device</h2>
          <form onSubmit={signInStored}>
            <fieldset>
              <legend>Choose a key</legend>
              {keys.map((k, i) => (
                <div class="choice" key={`${k.id}${k.name}`}>
                  <input type="radio" name="key" id={`key-${i}`} value={i} defaultChecked={i === 0} />
                  <label for={`key-${i}`}>
                    {k.name} <span class="muted">{shortId(k.id)}</span>
                  </label>
                  <button type="button" class="link" onClick={() => downloadKey(k)}>
                    Export {k.name}
                  </button>
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      forgetKey(k);
                      setKeys(storedKeys());
                    }}
                  >
                    Remove {k.name}
                  </button>
                </div>
              ))}
            </fieldset>
            <label for="stored-password">Password</label>
            <input id="stored-password" name="password" type="password" autocomplete="current-password" required />
            <button type="submit" disabled={busy}>
              Sign in
            </button>
          </form>
        </section>
      )}
      <section aria-labelledby="import-h" class="card">
        <h2 id="import-h">Import a key file</h2>
        <p class="muted">
          A key file from <code>medchain keys</code> (its keystore folder). It stays encrypted on this device.
        </p>
        <form onSubmit={importFile}>
          <label for="import-file">Key file</label>
          <input id="import-file" name="file" type="file" accept=".json,application/json" required />
          <label for="import-password">Password of the key file</label>
          <input id="import-password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit" disabled={busy}>
            Import and sign in
          </button>
        </form>
      </section>
      <Join onSignedIn={props.onSignedIn} />
    </div>
  );
}
