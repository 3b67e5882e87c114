/**
 * The patient's account: delegates (a guardian or proxy who may act for her until a date), and a
 * new key (the old one lost its secrecy, or is simply old). The new key is made and encrypted on
 * this device; the chain keeps her identity and switches to the new key.
 */
import { accountFromSecret, encryptKey, generateAccount } from '../../client/index.js';
import { localTime, shortId } from '../format.js';
import { downloadKey, storedKeys, storeKey } from '../keys.js';
import { errorText, useLive } from '../live.js';
import { idField, type Sender, Status, useSend } from '../send.js';
import { onEvents, type Session } from '../session.js';

const KINDS = ['delegate.set', 'delegate.revoked'];

interface Delegate {
  id: string;
  expiresAt: number;
}

async function delegates(s: Session): Promise<Delegate[]> {
  const r = await s.http.call('audit_query', { patient: s.id, kinds: KINDS, page: { limit: 1000 } });
  const now = Date.now();
  const live = new Map<string, Delegate>();
  for (const e of r.entries) {
    const id = String(e.attrs.delegate);
    if (e.type === 'delegate.revoked') live.delete(id);
    else live.set(id, { id, expiresAt: Number(e.attrs.expiresAt) });
  }
  return [...live.values()].filter((d) => d.expiresAt > now);
}

export function Account(props: { s: Session; onKeyRotated: () => void }) {
  const { s } = props;
  const live = useLive(
    () => delegates(s),
    (changed) => onEvents(s, { patient: s.id, kinds: KINDS }, changed),
    [s.id],
  );
  const sender = useSend(s, () => live.reload());

  const add = async (e: Event): Promise<void> => {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const id = idField(d, 'delegate');
    const days = Number(d.get('days'));
    if (id === null || !(days > 0 && days <= 3650)) {
      sender.setMsg('Delegate: enter their id (0x and 64 hex digits) and a number of days (at most 3650).');
      return;
    }
    const { headTime } = await s.http.status();
    await sender.send('Delegate', () => s.tx.setDelegate(id, headTime + days * 86_400_000));
  };

  const list = live.data ?? [];
  return (
    <div class="stack">
      <Status msg={sender.msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      <section aria-labelledby="deleg-h">
        <h2 id="deleg-h">People who may act for me ({list.length})</h2>
        <p class="muted">
          A delegate (a parent, a guardian, a proxy) sees your records and consents and may manage them for you.
        </p>
        {live.data !== null && list.length === 0 && <p>No one.</p>}
        <ul class="feed">
          {list.map((d) => (
            <li key={d.id} class="entry" data-delegate={d.id}>
              <p class="line1">
                <strong title={d.id}>{shortId(d.id)}</strong>
              </p>
              <p class="muted">until {localTime(d.expiresAt)}</p>
              <button
                type="button"
                aria-label={`Remove the delegate ${shortId(d.id)}`}
                onClick={() => sender.send('Remove delegate', () => s.tx.revokeDelegate(d.id))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        <form onSubmit={add} class="card">
          <label for="delegate">Delegate’s id</label>
          <input id="delegate" name="delegate" autocomplete="off" required />
          <label for="delegate-days">For how many days</label>
          <input id="delegate-days" name="days" inputMode="numeric" defaultValue="365" required />
          <button type="submit">Add delegate</button>
        </form>
      </section>
      <RotateKey s={s} sender={sender} onKeyRotated={props.onKeyRotated} />
    </div>
  );
}

function RotateKey(props: { s: Session; sender: Sender; onKeyRotated: () => void }) {
  const { s, sender } = props;
  const rotate = async (e: Event): Promise<void> => {
    e.preventDefault();
    const password = String(new FormData(e.currentTarget as HTMLFormElement).get('password') ?? '');
    if (password.length < 8) {
      sender.setMsg('New key: choose a password of at least 8 characters.');
      return;
    }
    sender.setMsg('New key: making and encrypting it on this device…');
    // Same identity, new key pair: the chain keeps her id and checks the new key's proof of possession.
    const next = accountFromSecret(generateAccount().secretKey, s.account.id);
    // Encrypted as strongly as the key file it replaces (the CLI's default unless that file chose otherwise).
    const old = storedKeys().find((k) => k.id === s.id && k.name === s.name)?.crypto.kdfparams;
    let file: Awaited<ReturnType<typeof encryptKey>>;
    try {
      file = await encryptKey(next, password, s.name, old === undefined ? undefined : { N: old.N, r: old.r, p: old.p });
    } catch (err) {
      sender.setMsg(`New key: ${errorText(err)}`);
      return;
    }
    // Once final, the signed-in session's key is no longer current: waiting for the tx answers
    // AUTH_KEY_NOT_CURRENT, which here means the rotation took effect.
    const tx = s.tx.rotateKey(next);
    let done = false;
    try {
      const r = await s.http.send(tx);
      done = r.status === 'ok';
      if (!done) sender.setMsg(`New key: refused by the chain (${r.code ?? r.status}).`);
    } catch (err) {
      done = errorText(err).includes('AUTH_KEY_NOT_CURRENT');
      if (!done) sender.setMsg(`New key: ${errorText(err)}`);
    }
    if (!done) return;
    storeKey(file);
    downloadKey(file);
    sender.setMsg('Your new key is in use. Sign in again with it.');
    props.onKeyRotated();
  };
  return (
    <section aria-labelledby="rotate-h" class="card">
      <h2 id="rotate-h">Replace my key</h2>
      <p class="muted">
        If your key or its password may be known to someone else. Your records, consents and history stay yours; the old
        key stops working. The new key is saved on this device and downloaded as a file.
      </p>
      <form onSubmit={rotate}>
        <label for="rotate-password">Password for the new key (at least 8 characters)</label>
        <input id="rotate-password" name="password" type="password" autocomplete="new-password" required />
        <button type="submit">Replace my key</button>
      </form>
    </section>
  );
}
