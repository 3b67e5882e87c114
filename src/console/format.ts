/** Plain words for what the chain stores as codes: purposes, denial reasons, times, ids. */

export const PURPOSE_WORDS: Readonly<Record<string, string>> = {
  TREAT: 'treatment',
  ETREAT: 'emergency treatment',
  HPAYMT: 'payment',
  HOPERAT: 'running the hospital',
  HRESCH: 'research',
  PUBHLTH: 'public health',
  BTG: 'emergency (break the glass)',
};

/** The purposes a patient may consent to (BTG is an emergency reason, not a consent purpose). */
export const CONSENT_PURPOSES = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH'] as const;

const REASON_WORDS: Readonly<Record<string, string>> = {
  NO_CONSENT: 'no consent',
  EXPIRED: 'consent expired',
  NOT_YET_VALID: 'consent not yet valid',
  REVOKED: 'consent revoked',
  ERASED: 'record erased',
  PURPOSE_MISMATCH: 'purpose not consented',
  ACTION_MISMATCH: 'action not consented',
  NOT_CREDENTIALED: 'no valid credential',
  SUSPENDED: 'suspended',
  UNKNOWN_RECORD: 'unknown record',
};

export const purposeWords = (code: unknown): string => PURPOSE_WORDS[String(code)] ?? String(code);
export const reasonWords = (code: unknown): string => REASON_WORDS[String(code)] ?? String(code).toLowerCase();

/** 0x1234…cdef: enough to tell ids apart on screen; the full id is in the title. */
export const shortId = (id: string): string => (id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id);

/** Block time (ms) in the reader's local time zone. */
export const localTime = (ms: number): string =>
  new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function duration(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}

export const isHexId = (s: string): boolean => /^0x[0-9a-fA-F]{64}$/.test(s.trim());
