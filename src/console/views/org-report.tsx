/**
 * The organization's disclosures report: every access its practitioners made to patients' records
 * and every emergency access they opened, granted or refused, newest first, downloadable as CSV.
 * One paged query of the organization's own index (audit_organization), which lists its
 * practitioners' accesses under it.
 */

import { useState } from 'preact/hooks';
import type { Result } from '../../client/index.js';
import { csvField } from '../accounting.js';
import { download } from '../download.js';
import { localTime, purposeWords, reasonWords, shortId } from '../format.js';
import { errorText, useLive } from '../live.js';
import { Status } from '../send.js';
import type { Session } from '../session.js';

type Page = Result<'audit_organization'>;
type Entry = Page['entries'][number];
const KINDS = ['access', 'emergency.opened', 'emergency.denied'] as const;
/** Entries per page. */
const PAGE = 200;

const readPage = (s: Session, cursor: string | null): Promise<Page> =>
  s.http.call('audit_organization', {
    org: s.id,
    kinds: [...KINDS],
    page: cursor === null ? { limit: PAGE, reverse: true } : { limit: PAGE, reverse: true, cursor },
  });

const refused = (e: Entry): boolean => e.attrs.granted === false || e.type === 'emergency.denied';

function toCsv(entries: Entry[]): string {
  const head = [
    'time (UTC)',
    'practitioner',
    'patient',
    'purpose',
    'outcome',
    'reason',
    'emergency',
    'block',
    'transaction',
  ];
  const rows = entries.map((e) =>
    [
      new Date(e.time).toISOString(),
      String(e.attrs.grantee),
      String(e.attrs.patient),
      purposeWords(e.attrs.purpose ?? e.attrs.reason),
      refused(e) ? 'refused' : 'allowed',
      e.attrs.code === undefined ? '' : reasonWords(e.attrs.code),
      e.type !== 'access' || e.attrs.emergency === true,
      e.height,
      e.txHash,
    ]
      .map((v) => csvField(v))
      .join(','),
  );
  return `${[head.map(csvField).join(','), ...rows].join('\r\n')}\r\n`;
}

export function OrgReport(props: { s: Session }) {
  const { s } = props;
  const live = useLive(() => readPage(s, null), undefined, [s.id]);
  /** Older pages, read on demand, and where the next one starts. */
  const [older, setOlder] = useState<{ entries: Entry[]; cursor: string | null } | null>(null);
  const [msg, setMsg] = useState('');
  const entries = [...(live.data?.entries ?? []), ...(older?.entries ?? [])];
  const cursor = older === null ? (live.data?.cursor ?? null) : older.cursor;
  const more = async (): Promise<void> => {
    if (cursor === null) return;
    try {
      const p = await readPage(s, cursor);
      setOlder({ entries: [...(older?.entries ?? []), ...p.entries], cursor: p.cursor });
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const refresh = (): void => {
    setOlder(null);
    live.reload();
  };
  const save = (): void => {
    try {
      download('disclosures-report.csv', 'text/csv', toCsv(entries));
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  return (
    <div class="stack">
      <p class="muted">
        What your practitioners read, and what they were refused: the same entries the patients see in their own lists.
      </p>
      <Status msg={msg} />
      {live.error !== null && <p class="error">{live.error}</p>}
      <div class="actions">
        <button type="button" onClick={save} disabled={live.data === null}>
          Download the report (CSV)
        </button>
        <button type="button" class="secondary" onClick={refresh}>
          Refresh
        </button>
      </div>
      {live.data !== null && entries.length === 0 && <p>No access by your practitioners yet.</p>}
      <ul class="feed">
        {entries.map((e) => (
          <li
            key={`${e.height}.${e.receiptIndex}.${e.seq}`}
            class={`entry ${refused(e) ? 'denied' : e.type === 'access' ? 'granted' : 'emergency'}`}
            data-outcome={refused(e) ? 'denied' : 'granted'}
          >
            <p class="line1">
              <strong title={String(e.attrs.grantee)}>Practitioner {shortId(String(e.attrs.grantee))}</strong>{' '}
              {e.type !== 'access' && <span class="badge warn">Emergency</span>}
              {refused(e) && <span class="badge bad">Refused</span>}
            </p>
            <p>
              Patient {shortId(String(e.attrs.patient))}, for {purposeWords(e.attrs.purpose ?? e.attrs.reason)}
              {refused(e) && e.attrs.code !== undefined ? ` · ${reasonWords(e.attrs.code)}` : ''}
            </p>
            <p class="muted">{localTime(e.time)}</p>
          </li>
        ))}
      </ul>
      {cursor !== null && (
        <button type="button" class="secondary" onClick={more}>
          Show older entries
        </button>
      )}
    </div>
  );
}
