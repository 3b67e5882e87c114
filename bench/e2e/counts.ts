/**
 * Work counters of one validator, read from its /metrics at the window's start
 * and end: signatures sent to the verifier workers, and transactions offered to
 * the mempool (each one decoded there), by result.
 */
export interface WorkCounts {
  verifies: number;
  offered: Record<string, number>;
}

/** The counters in a Prometheus text page (absent counters are 0). */
export function parseCounts(text: string): WorkCounts {
  const c: WorkCounts = { verifies: 0, offered: {} };
  for (const line of text.split('\n')) {
    const v = /^medchain_verifier_items_total (\d+)/.exec(line);
    if (v) c.verifies = Number(v[1]);
    const a = /^medchain_mempool_admissions_total\{result="([A-Za-z_]+)"\} (\d+)/.exec(line);
    if (a) c.offered[a[1] as string] = Number(a[2]);
  }
  return c;
}

export async function readCounts(url: string | undefined): Promise<WorkCounts | undefined> {
  if (url === undefined) return undefined;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? parseCounts(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Per finalized tx in the window: verifies, and mempool offers (decodes) by result. */
export function perTx(
  a: WorkCounts | undefined,
  b: WorkCounts | undefined,
  finalized: number,
): { verifies_per_tx_count: number; offered_per_tx: Record<string, number> } | undefined {
  if (a === undefined || b === undefined || finalized === 0) return undefined;
  const r = (n: number): number => Math.round((n / finalized) * 1000) / 1000;
  const offered: Record<string, number> = {};
  let all = 0;
  for (const [k, n] of Object.entries(b.offered)) {
    const d = n - (a.offered[k] ?? 0);
    all += d;
    if (d > 0) offered[k] = r(d);
  }
  offered.all = r(all);
  return { verifies_per_tx_count: r(b.verifies - a.verifies), offered_per_tx: offered };
}
