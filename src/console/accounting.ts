/**
 * The patient's accounting of disclosures, downloaded: as CSV (for a spreadsheet) from
 * audit_disclosures, or as the FHIR searchset Bundle of AuditEvents the node's /fhir facade serves.
 */
import { SessionKeeper } from '../client/index.js';
import { PURPOSE_WORDS, reasonWords } from './format.js';
import { nodeUrl, publicHttp, type Session } from './session.js';

/** One CSV field: quoted, and never read as a formula by a spreadsheet (a name could start with =). */
export function csvField(v: string | number | boolean | null): string {
  let s = v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

export async function disclosuresCsv(s: Session): Promise<string> {
  const rows: string[] = [
    [
      'time (UTC)',
      'recipient',
      'recipient type',
      'organization',
      'purpose',
      'outcome',
      'reason',
      'emergency',
      'records',
      'block',
      'transaction',
    ]
      .map(csvField)
      .join(','),
  ];
  let cursor: string | undefined;
  // Bounded: 50 pages of 200 entries; the page cursor moves forward on every call.
  for (let i = 0; i < 50; i++) {
    const page = await s.http.call('audit_disclosures', {
      patient: s.id,
      page: { limit: 200, ...(cursor === undefined ? {} : { cursor }) },
    });
    for (const d of page.disclosures) {
      const a = d.attrs;
      const purpose = String(a.purpose ?? a.reason ?? '');
      const denied = a.granted === false || d.type === 'emergency.denied';
      rows.push(
        [
          new Date(d.time).toISOString(),
          d.recipient.id,
          d.recipient.type,
          d.recipient.organizationName ?? d.recipient.organization,
          PURPOSE_WORDS[purpose] ?? purpose,
          denied ? 'refused' : d.type === 'access' ? 'allowed' : d.type,
          a.code === undefined ? '' : reasonWords(a.code),
          a.emergency === true || d.type.startsWith('emergency'),
          d.records.join(' '),
          d.height,
          d.txHash,
        ]
          .map((v) => csvField(v as string | number | boolean | null))
          .join(','),
      );
    }
    if (page.cursor === null) break;
    cursor = page.cursor;
  }
  return `${rows.join('\r\n')}\r\n`;
}

let fhirKeeper: { session: Session; keeper: SessionKeeper } | null = null;

/** The FHIR Bundle of the patient's AuditEvents, read from /fhir with a session token of her own. */
export async function disclosuresFhir(s: Session): Promise<string> {
  if (fhirKeeper?.session !== s)
    fhirKeeper = { session: s, keeper: new SessionKeeper(s.account, (m, p) => publicHttp().raw(m, p), s.chainId) };
  const token = await fhirKeeper.keeper.token();
  const res = await fetch(`${nodeUrl()}fhir/AuditEvent?patient=${s.id}&_count=200`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
  });
  if (!res.ok) throw new Error(`The node answered ${res.status}`);
  return res.text();
}
