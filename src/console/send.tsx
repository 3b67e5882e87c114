/**
 * What every form of the console does with a transaction: say it is being sent, send it signed by
 * the session's key, wait until final, and say in words whether the chain took it. One place, so
 * the views differ only in what they build.
 */
import { useState } from 'preact/hooks';
import { isHexId } from './format.js';
import { errorText } from './live.js';
import type { Session } from './session.js';

export interface Sender {
  msg: string;
  setMsg: (m: string) => void;
  /** Sends `build()`; true when the chain accepted it. `done` is the message on success. */
  send: (label: string, build: () => { bytes: Uint8Array }, done?: string) => Promise<boolean>;
}

export function useSend(s: Session, after?: () => void): Sender {
  const [msg, setMsg] = useState('');
  const send = async (label: string, build: () => { bytes: Uint8Array }, done?: string): Promise<boolean> => {
    setMsg(`${label}: sending…`);
    try {
      const r = await s.http.send(build());
      const ok = r.status === 'ok';
      setMsg(ok ? (done ?? `${label}: done.`) : `${label}: refused by the chain (${r.code ?? r.status}).`);
      after?.();
      return ok;
    } catch (err) {
      setMsg(`${label}: ${errorText(err)}`);
      return false;
    }
  };
  return { msg, setMsg, send };
}

/** The polite live region every view announces its outcome in. */
export const Status = (props: { msg: string }) => (
  <p role="status" aria-live="polite" class="status">
    {props.msg}
  </p>
);

/** An id typed into a form field (0x + 64 hex), lower-cased; null when it is not one. */
export function idField(d: FormData, name: string): string | null {
  const v = String(d.get(name) ?? '')
    .trim()
    .toLowerCase();
  return isHexId(v) ? v : null;
}
