/**
 * Data that follows the chain: loaded once, then loaded again whenever a subscription says
 * something changed (coalesced: at most one load in flight and one queued), never by polling.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Live<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
}

export const errorText = (err: unknown): string => {
  const e = err as { reason?: string; code?: string; message?: string };
  const code = e.reason ?? e.code;
  return code !== undefined && code !== e.message ? `${e.message ?? 'Error'} (${code})` : (e.message ?? String(err));
};

/**
 * `load` runs at mount and on every `reload()`; `watch`, when given, subscribes and calls its
 * argument on every change, returning its unsubscribe function.
 */
export function useLive<T>(
  load: () => Promise<T>,
  watch?: (changed: () => void) => Promise<() => Promise<void>>,
  deps: unknown[] = [],
): Live<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const st = useRef({ running: false, again: false, alive: true });

  const run = (): void => {
    const s = st.current;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    load()
      .then(
        (v) => {
          if (s.alive) {
            setData(v);
            setError(null);
          }
        },
        (err: unknown) => {
          if (s.alive) setError(errorText(err));
        },
      )
      .finally(() => {
        s.running = false;
        if (s.again && s.alive) {
          s.again = false;
          run();
        }
      });
  };

  useEffect(() => {
    st.current = { running: false, again: false, alive: true };
    const s = st.current;
    run();
    let stop: (() => Promise<void>) | null = null;
    watch?.(run).then(
      (f) => {
        if (s.alive) stop = f;
        else f().catch(() => {});
      },
      (err: unknown) => setError(`Live updates are off: ${errorText(err)}`),
    );
    return () => {
      s.alive = false;
      stop?.().catch(() => {});
    };
  }, deps);

  return { data, error, reload: run };
}
