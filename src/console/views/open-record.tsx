/**
 * A clinician opens a record through its custodian's vault, under this node's origin (/vault):
 * the browser signs the access (recorded on chain, seen by the patient), receives the ciphertext
 * and its data key wrapped for this clinician's key, decrypts and checks it against the on-chain
 * commitment, and shows the FHIR resource. Nothing decrypted leaves the page.
 */
import { useState } from 'preact/hooks';
import { type PurposeName, unhex } from '../../client/index.js';
import { PURPOSE_WORDS } from '../format.js';
import { errorText } from '../live.js';
import { idField, Status } from '../send.js';
import type { Session } from '../session.js';
import { FhirView, type Json } from './fhir-view.js';

const PURPOSES: PurposeName[] = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH'];
/** The vault client, a bundle of its own loaded on first use (scripts/build-console.mjs). */
const VAULT_BUNDLE = './vault.js';
/** Larger plaintexts are not shown as a FHIR resource (the vault bounds records at 16 MiB). */
const MAX_SHOWN = 1024 * 1024;

export function OpenRecord(props: { s: Session }) {
  const { s } = props;
  const [msg, setMsg] = useState('');
  const [resource, setResource] = useState<Record<string, Json> | null>(null);

  const onSubmit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setResource(null);
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const record = idField(d, 'record');
    const purpose = String(d.get('purpose') ?? 'TREAT') as PurposeName;
    if (record === null) {
      setMsg('Open: enter a record id (0x and 64 hex digits).');
      return;
    }
    setMsg('Opening the record: recording the access on the chain…');
    try {
      const { RecordVault } = (await import(VAULT_BUNDLE)) as typeof import('../vault-entry.js');
      const vault = new RecordVault({
        client: s.http,
        chainId: s.chainId,
        account: s.account,
        vaultUrl: `${location.origin}/vault`,
      });
      const opened = await vault.open(unhex(record), purpose);
      if (opened.plaintext.length > MAX_SHOWN) throw new Error('This record is too large to show here.');
      const parsed = JSON.parse(new TextDecoder().decode(opened.plaintext)) as Json;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('resourceType' in parsed))
        throw new Error('This record is not a FHIR resource.');
      setResource(parsed);
      setMsg(
        `Opened${opened.emergency ? ' under emergency access' : ''}. The access is on the chain and the patient sees it.`,
      );
    } catch (err) {
      setMsg(`Open: ${errorText(err)}`);
    }
  };

  return (
    <section aria-labelledby="open-h" class="card">
      <h2 id="open-h">Open a record</h2>
      <p class="muted">The record is decrypted on this device only. Opening it is recorded and the patient sees it.</p>
      <Status msg={msg} />
      <form onSubmit={onSubmit}>
        <label for="open-record">Record id</label>
        <input id="open-record" name="record" autocomplete="off" required />
        <label for="open-purpose">Purpose</label>
        <select id="open-purpose" name="purpose">
          {PURPOSES.map((p) => (
            <option key={p} value={p}>
              {PURPOSE_WORDS[p]}
            </option>
          ))}
        </select>
        <button type="submit">Open the record</button>
      </form>
      {resource !== null && <FhirView resource={resource} />}
    </section>
  );
}
